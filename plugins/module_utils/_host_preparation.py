# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Source host preparation for the Mobility service push install, through Azure VM Run Command.

The push install needs (Microsoft Docs articles/site-recovery/vmware-azure-install-mobility-service.md) on Windows the
DWORD LocalAccountTokenFilterPolicy=1 for a local account, that account in Administrators, and the firewall rule groups
File and Printer Sharing and WMI enabled; on Linux a usable root login, PasswordAuthentication and the sftp subsystem in
sshd, and current CA certificates.

One idempotent script per OS does it. Its settings are literals in the script's first lines; the only Run Command
parameters are the mode (``check`` reads only, ``apply`` changes) and, when a password is given, the password
base64-encoded, so the script text never carries it. The script prints one line,
``AZMOVE-RESULT {json}``, with what changed (or would change), the state before and after, notes and errors.
Everything here but ``HostPreparation.run`` is plain data in and out, tested without Azure.
"""

from __future__ import annotations

import base64
import json
import re

from ._errors import AzureFailure, translate
from ._wait import Clock, WaitTimeout, wait_for_poller

RESULT_MARKER = "AZMOVE-RESULT "
MODE_PARAMETER = "AZMOVE_MODE"
SECRET_PARAMETER = "AZMOVE_SECRET"
COMMAND_IDS = {"windows": "RunPowerShellScript", "linux": "RunShellScript"}
# The first line of each script: names what ran, and which version, in the VM's Run Command history and logs.
SIGNATURE = "# azmove.site_recovery host preparation (%s) v1"
# Azure keeps the last 4096 bytes of each stream; a failure shows at most this much of each.
TAIL_CHARS = 2000
BUSY_RETRY_SECONDS = 15.0

# Windows local user names: at most 20 characters, none of these (the rules of the local account database).
_WINDOWS_BAD_CHARS = set('"/\\[]:;|=,+*?<>@')


class PreparationError(ValueError):
    """Settings that cannot work; the message says why, before anything is sent."""


class ScriptFailure(AzureFailure):
    """The script ran but reported errors, or printed no result. Carries the end of both streams, and the result."""

    stdout = None
    stderr = None
    result = None


def account_kind(account):
    """``domain`` for DOMAIN\\user or user@domain, else ``local``."""
    return "domain" if account and ("\\" in account or "@" in account) else "local"


def ps_quote(text):
    """A PowerShell single-quoted literal. PowerShell also takes the typographic quotes as quotes: double them too."""
    out = []
    for char in text:
        out.append(char * 2 if char in "'\u2018\u2019\u201a\u201b" else char)
    return "'" + "".join(out) + "'"


def sh_quote(text):
    """A POSIX shell single-quoted literal."""
    return "'" + text.replace("'", "'\\''") + "'"


def encode_secret(password):
    """The value sent as the secret parameter: base64 of the UTF-8 password, so no quoting can break it."""
    return base64.b64encode(password.encode("utf-8")).decode("ascii")


class Settings:
    """What the task asks for, checked. ``password`` is kept out of every script and every repr."""

    def __init__(self, os_type, account=None, password=None, update_password="always", authorized_key=None,
                 state="present", firewall=True, update_ca_certificates=True):
        self.os_type = (os_type or "").lower()
        self.account = account
        self.password = password
        self.update_password = update_password
        self.authorized_key = (authorized_key or "").strip() or None
        self.state = state
        self.firewall = firewall
        self.update_ca_certificates = update_ca_certificates
        self.validate()

    def __repr__(self):
        return "Settings(os_type=%r, account=%r, state=%r)" % (self.os_type, self.account, self.state)

    @property
    def kind(self):
        return account_kind(self.account)

    def validate(self):
        if self.os_type not in COMMAND_IDS:
            raise PreparationError("os_type must be windows or linux, not %r." % self.os_type)
        if self.password is not None and not self.password:
            raise PreparationError("password is empty; leave it out instead.")
        if self.os_type == "windows":
            self._validate_windows()
        else:
            self._validate_linux()

    def _validate_windows(self):
        if self.authorized_key:
            raise PreparationError("authorized_key is for Linux (the root account's SSH key); this machine runs Windows.")
        if not self.account:
            if self.state == "present":
                raise PreparationError("account is required on Windows: the local administrator account (or the "
                                       "domain account) the push install uses.")
            return
        if any(c in "\r\n\t" for c in self.account):
            raise PreparationError("account must be one line.")
        if self.kind == "local":
            bad = sorted(set(self.account) & _WINDOWS_BAD_CHARS)
            if len(self.account) > 20 or bad or self.account.strip(" .") != self.account:
                raise PreparationError(
                    "%r is not a Windows local account name (at most 20 characters, none of %s, not starting or "
                    "ending with a space or a dot)." % (self.account, " ".join(sorted(_WINDOWS_BAD_CHARS))))

    def _validate_linux(self):
        if self.account not in (None, "root"):
            raise PreparationError(
                "Site Recovery's push install on Linux uses the root account (push install error 95525 or 95108 with "
                "any other); account must be root or left out, not %r." % self.account)
        self.account = "root"
        key = self.authorized_key
        if key and (any(c in key for c in "\r\n\0") or not re.match(r"^(ssh-|ecdsa-|sk-)[A-Za-z0-9@.-]+ [A-Za-z0-9+/=]+", key)):
            raise PreparationError("authorized_key must be one public key line, as in authorized_keys "
                                   "(for example 'ssh-ed25519 AAAA... comment').")


# -- the scripts ----------------------------------------------------------------------------------------------
WINDOWS_BODY = r"""
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Check = $AZMOVE_MODE -ne 'apply'
$PolicyKey = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System'
$MarkerKey = 'HKLM:\SOFTWARE\azmove\site_recovery'
$AdministratorsSid = 'S-1-5-32-544'
# Rule groups by resource id (the same in every language), then by English name.
$FirewallGroups = @(
    @('firewall_file_and_printer_sharing', '@FirewallAPI.dll,-28502', 'File and Printer Sharing'),
    @('firewall_wmi', '@FirewallAPI.dll,-34251', 'Windows Management Instrumentation (WMI)')
)
$Changes = New-Object System.Collections.ArrayList
$Notes = New-Object System.Collections.ArrayList
$Errors = New-Object System.Collections.ArrayList
$Secret = $null
if ($AZMOVE_SECRET) {
    try { $Secret = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($AZMOVE_SECRET)) }
    catch { [void]$Errors.Add('The password parameter could not be decoded.') }
}

function Get-PolicyValue {
    $item = Get-ItemProperty -Path $PolicyKey -Name LocalAccountTokenFilterPolicy -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return [int]$item.LocalAccountTokenFilterPolicy
}

function Get-MarkerValue {
    $item = Get-ItemProperty -Path $MarkerKey -Name LocalAccountTokenFilterPolicyBefore -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return [string]$item.LocalAccountTokenFilterPolicyBefore
}

function Get-InboundRules([string]$Group, [string]$DisplayGroup) {
    $rules = @(Get-NetFirewallRule -Group $Group -ErrorAction SilentlyContinue | Where-Object { [string]$_.Direction -eq 'Inbound' })
    if ($rules.Count -eq 0) {
        $rules = @(Get-NetFirewallRule -DisplayGroup $DisplayGroup -ErrorAction SilentlyContinue | Where-Object { [string]$_.Direction -eq 'Inbound' })
    }
    $rules
}

function Test-Administrator($User) {
    $sid = [System.Security.Principal.SecurityIdentifier]::new($AdministratorsSid)
    $groupName = $sid.Translate([System.Security.Principal.NTAccount]).Value.Split('\')[-1]
    $group = [ADSI]('WinNT://' + $env:COMPUTERNAME + '/' + $groupName + ',group')
    foreach ($member in @($group.Invoke('Members'))) {
        $bytes = $member.GetType().InvokeMember('objectSid', 'GetProperty', $null, $member, $null)
        if ([System.Security.Principal.SecurityIdentifier]::new($bytes, 0).Equals($User.SID)) { return $true }
    }
    return $false
}

function Test-Password([string]$Name, [string]$Value) {
    Add-Type -AssemblyName System.DirectoryServices.AccountManagement
    $context = [System.DirectoryServices.AccountManagement.PrincipalContext]::new([System.DirectoryServices.AccountManagement.ContextType]::Machine)
    try { return $context.ValidateCredentials($Name, $Value) } finally { $context.Dispose() }
}

function Get-State {
    $state = [ordered]@{}
    $state.local_account_token_filter_policy = Get-PolicyValue
    $state.azmove_marker = ($null -ne (Get-MarkerValue))
    $state.account_exists = $null
    $state.account_enabled = $null
    $state.account_in_administrators = $null
    $state.password_current = $null
    if ($AccountKind -eq 'local') {
        $user = Get-LocalUser -Name $Account -ErrorAction SilentlyContinue
        $state.account_exists = ($null -ne $user)
        $state.account_in_administrators = $false
        if ($null -ne $user) {
            $state.account_enabled = [bool]$user.Enabled
            $state.account_in_administrators = Test-Administrator $user
            if ($user.Enabled -and $Secret -and $UpdatePassword -eq 'always') {
                $state.password_current = [bool](Test-Password $Account $Secret)
            }
        }
    }
    foreach ($g in $FirewallGroups) {
        $rules = @(Get-InboundRules $g[1] $g[2])
        if ($rules.Count -eq 0) { $state[$g[0]] = $null }
        else { $state[$g[0]] = (@($rules | Where-Object { [string]$_.Enabled -ne 'True' }).Count -eq 0) }
    }
    return $state
}

function Set-Password([string]$Name) {
    Set-LocalUser -Name $Name -Password (ConvertTo-SecureString -String $Secret -AsPlainText -Force)
}

function Copy-State($Source) {
    $copy = [ordered]@{}
    foreach ($key in @($Source.Keys)) { $copy[$key] = $Source[$key] }
    return $copy
}

# Decide every change from $Before into $After; with -not $DryRun, also make them.
function Invoke-Preparation([bool]$DryRun) {
    if ($State -eq 'present') {
        if ($AccountKind -eq 'local') {
            if ($Before.local_account_token_filter_policy -ne 1) {
                [void]$Changes.Add('registry_value_set')
                $After.local_account_token_filter_policy = 1
                $After.azmove_marker = $true
                if (-not $DryRun) {
                    if (-not (Test-Path -Path $MarkerKey)) { New-Item -Path $MarkerKey -Force | Out-Null }
                    if ($null -eq (Get-MarkerValue)) {
                        $previous = 'absent'
                        if ($null -ne $Before.local_account_token_filter_policy) { $previous = [string]$Before.local_account_token_filter_policy }
                        New-ItemProperty -Path $MarkerKey -Name LocalAccountTokenFilterPolicyBefore -Value $previous -PropertyType String -Force | Out-Null
                    }
                    New-ItemProperty -Path $PolicyKey -Name LocalAccountTokenFilterPolicy -Value 1 -PropertyType DWord -Force | Out-Null
                }
            }
            if (-not $Before.account_exists) {
                if (-not $Secret) {
                    [void]$Errors.Add("The local account $Account does not exist; give its password to create it.")
                } else {
                    [void]$Changes.Add('account_created')
                    $After.account_exists = $true
                    $After.account_enabled = $true
                    if ($UpdatePassword -eq 'always') { $After.password_current = $true }
                    if (-not $DryRun) {
                        $NewUser = @{
                            Name = $Account
                            Password = (ConvertTo-SecureString -String $Secret -AsPlainText -Force)
                            PasswordNeverExpires = $true
                            AccountNeverExpires = $true
                            Description = 'Site Recovery push install (azmove.site_recovery)'
                        }
                        New-LocalUser @NewUser | Out-Null
                    }
                }
            } else {
                if (-not $Before.account_enabled) {
                    [void]$Changes.Add('account_enabled')
                    $After.account_enabled = $true
                    if (-not $DryRun) { Enable-LocalUser -Name $Account }
                }
                if ($Secret -and $UpdatePassword -eq 'always' -and $Before.password_current -ne $true) {
                    [void]$Changes.Add('password_set')
                    $After.password_current = $true
                    if (-not $DryRun) { Set-Password $Account }
                }
            }
            if ($After.account_exists -and -not $Before.account_in_administrators) {
                [void]$Changes.Add('added_to_administrators')
                $After.account_in_administrators = $true
                if (-not $DryRun) { Add-LocalGroupMember -SID $AdministratorsSid -Member $Account }
            }
        } else {
            [void]$Notes.Add("$Account is a domain account: LocalAccountTokenFilterPolicy only matters for local " +
                'accounts and is left as it is; manage the account and its rights in the domain.')
        }
        if ($ManageFirewall) {
            foreach ($g in $FirewallGroups) {
                if ($null -eq $Before[$g[0]]) {
                    [void]$Errors.Add("Windows Firewall has no inbound rule group '" + $g[2] + "'.")
                } elseif (-not $Before[$g[0]]) {
                    [void]$Changes.Add($g[0] + '_enabled')
                    $After[$g[0]] = $true
                    if (-not $DryRun) { Get-InboundRules $g[1] $g[2] | Where-Object { [string]$_.Enabled -ne 'True' } | Enable-NetFirewallRule }
                }
            }
        }
    } else {
        $previous = Get-MarkerValue
        if ($null -eq $previous) {
            [void]$Notes.Add('LocalAccountTokenFilterPolicy was not set by azmove.site_recovery; it is left as it is.')
        } else {
            [void]$Changes.Add('registry_value_restored')
            $After.azmove_marker = $false
            $After.local_account_token_filter_policy = $null
            if ($previous -ne 'absent') { $After.local_account_token_filter_policy = [int]$previous }
            if (-not $DryRun) {
                if ($previous -eq 'absent') {
                    Remove-ItemProperty -Path $PolicyKey -Name LocalAccountTokenFilterPolicy -ErrorAction SilentlyContinue
                } else {
                    New-ItemProperty -Path $PolicyKey -Name LocalAccountTokenFilterPolicy -Value ([int]$previous) -PropertyType DWord -Force | Out-Null
                }
                Remove-ItemProperty -Path $MarkerKey -Name LocalAccountTokenFilterPolicyBefore
            }
        }
    }
}

# Decide first; change only when nothing is wrong (check mode never changes).
$Before = $null
$After = $null
$Applying = $false
try {
    $Before = Get-State
    $After = Copy-State $Before
    Invoke-Preparation $true
    if ($Errors.Count -gt 0) {
        $Changes.Clear()
        $After = Copy-State $Before
    } elseif (-not $Check -and $Changes.Count -gt 0) {
        $Expected = $After
        $Changes.Clear()
        $Notes.Clear()
        $After = Copy-State $Before
        $Applying = $true
        Invoke-Preparation $false
        $After = Get-State
        foreach ($key in @($Expected.Keys)) {
            if ($key -ne 'password_current' -and $Expected[$key] -ne $After[$key]) {
                [void]$Errors.Add("$key is '$($After[$key])' after the change, not '$($Expected[$key])'.")
            }
        }
    }
} catch {
    [void]$Errors.Add($_.Exception.Message)
    if ($Applying) {
        try { $After = Get-State } catch { }
    } else {
        $Changes.Clear()
        if ($null -ne $Before) { $After = Copy-State $Before }
    }
}
$Mode = 'apply'
if ($Check) { $Mode = 'check' }
$Result = [ordered]@{
    os = 'windows'; mode = $Mode; state = $State; account = $Account; account_kind = $AccountKind
    changes = @($Changes); before = $Before; after = $After; notes = @($Notes); errors = @($Errors)
}
Write-Output ('AZMOVE-RESULT ' + (ConvertTo-Json -InputObject $Result -Compress -Depth 5))
foreach ($message in $Errors) { [Console]::Error.WriteLine($message) }
if ($Errors.Count -gt 0) { exit 1 }
"""

LINUX_BODY = r"""
MODE="${AZMOVE_MODE:-${1:-check}}"
SECRET_B64="${AZMOVE_SECRET:-${2:-}}"
set -u
umask 077
PATH="$PATH:/usr/sbin:/sbin"
BEGIN_MARK='# BEGIN azmove.site_recovery: Site Recovery push install'
END_MARK='# END azmove.site_recovery'
CHECK=yes
if [ "$MODE" = apply ]; then CHECK=no; fi
CHANGES=''
NOTES=''
ERRORS=''
TEMP_FILES=''
trap 'rm -f $TEMP_FILES' EXIT

json_string() {
    printf '"%s"' "$(printf '%s' "$1" | tr '\n\r\t' '   ' | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g')"
}
json_bool() { case "$1" in yes) printf true ;; no) printf false ;; *) printf null ;; esac; }
json_value() { if [ -z "$1" ]; then printf null; else json_string "$1"; fi; }
changed() { CHANGES="$CHANGES${CHANGES:+,}\"$1\""; }
note() { NOTES="$NOTES${NOTES:+,}$(json_string "$1")"; }
error() { ERRORS="$ERRORS${ERRORS:+,}$(json_string "$1")"; printf '%s\n' "$1" >&2; }
# A temporary file in $TEMP, removed at exit (not in a subshell, so the list is kept).
new_temp() { TEMP=$(mktemp) || return 1; TEMP_FILES="$TEMP_FILES $TEMP"; }

SECRET=''
if [ -n "$SECRET_B64" ]; then
    SECRET=$(printf '%s' "$SECRET_B64" | base64 -d 2>/dev/null) || SECRET=''
    if [ -z "$SECRET" ]; then error 'The password parameter could not be decoded.'; fi
fi
SSHD=$(command -v sshd 2>/dev/null || printf /usr/sbin/sshd)
PACKAGE_MANAGER=''
for pm in apt-get dnf yum zypper; do
    if command -v "$pm" >/dev/null 2>&1; then PACKAGE_MANAGER=$pm; break; fi
done

# The effective global sshd settings of a configuration file (sshd -T), and one of them.
sshd_effective() {
    out=$("$SSHD" -T -f "$1" 2>&1) && { printf '%s\n' "$out"; return 0; }
    case "$out" in  # Debian and Ubuntu create sshd's privilege separation directory only when sshd starts
        *'privilege separation directory'*) mkdir -p -m 0755 /run/sshd 2>/dev/null && "$SSHD" -T -f "$1" 2>/dev/null ;;
    esac
}
setting() { printf '%s\n' "$1" | awk -v k="$2" 'tolower($1) == k { print $2; exit }'; }
has_sftp() { printf '%s\n' "$1" | awk 'tolower($1) == "subsystem" && $2 == "sftp" { found = 1 } END { exit !found }'; }
# The configuration without the block this script adds.
without_block() { awk -v b="$BEGIN_MARK" -v e="$END_MARK" '$0 == b { skip = 1; next } $0 == e { skip = 0; next } !skip' "$SSHD_CONFIG"; }

sftp_server() {
    path=$(sed -n 's/^#[[:space:]]*Subsystem[[:space:]][[:space:]]*sftp[[:space:]][[:space:]]*//p' "$1" | head -n 1)
    if [ -z "$path" ]; then
        for candidate in /usr/lib/openssh/sftp-server /usr/libexec/openssh/sftp-server /usr/lib/ssh/sftp-server; do
            if [ -x "$candidate" ]; then path=$candidate; break; fi
        done
    fi
    printf '%s' "${path:-internal-sftp}"
}

password_matches() {   # 0: the secret is root's password, 1: it is not, 2: cannot tell
    command -v perl >/dev/null 2>&1 || return 2
    AZMOVE_PW="$SECRET" perl -e 'exit(crypt($ENV{AZMOVE_PW}, $ARGV[0]) eq $ARGV[0] ? 0 : 1)' "$1"
}

ca_state() {
    CA_CURRENT=''
    case "$PACKAGE_MANAGER" in
        apt-get)
            if out=$(apt-get -s -o Debug::NoLocking=true install --only-upgrade ca-certificates 2>/dev/null); then
                if printf '%s\n' "$out" | grep -q '^Inst ca-certificates '; then CA_CURRENT=no; else CA_CURRENT=yes; fi
            fi ;;
        dnf|yum)
            "$PACKAGE_MANAGER" -q -C check-update ca-certificates >/dev/null 2>&1
            case $? in 0) CA_CURRENT=yes ;; 100) CA_CURRENT=no ;; esac ;;
        zypper)
            if out=$(zypper -q -n --no-refresh list-updates 2>/dev/null); then
                if printf '%s\n' "$out" | grep -q '| ca-certificates '; then CA_CURRENT=no; else CA_CURRENT=yes; fi
            fi ;;
    esac
}

update_ca() {
    case "$PACKAGE_MANAGER" in
        apt-get) DEBIAN_FRONTEND=noninteractive apt-get install -y -q --only-upgrade ca-certificates >/dev/null 2>&1 ;;
        dnf|yum) "$PACKAGE_MANAGER" -y -q update ca-certificates >/dev/null 2>&1 ;;
        zypper) zypper -n -q update ca-certificates >/dev/null 2>&1 ;;
    esac || { error 'The ca-certificates package could not be updated.'; return; }
    if command -v update-ca-certificates >/dev/null 2>&1; then update-ca-certificates >/dev/null 2>&1
    elif command -v update-ca-trust >/dev/null 2>&1; then update-ca-trust extract >/dev/null 2>&1; fi
}

read_state() {
    EFFECTIVE=$(sshd_effective "$SSHD_CONFIG")
    PA=$(setting "$EFFECTIVE" passwordauthentication)
    PRL=$(setting "$EFFECTIVE" permitrootlogin)
    SFTP=''
    if [ -n "$EFFECTIVE" ]; then
        if has_sftp "$EFFECTIVE"; then SFTP=yes; else SFTP=no; fi
    fi
    HASH=$(getent shadow root 2>/dev/null | cut -d: -f2)
    case "$HASH" in ''|'!'*|'*'*) ROOT_SET=no ;; *) ROOT_SET=yes ;; esac
    ROOT_CURRENT=''
    if [ -n "$SECRET" ] && [ "$UPDATE_PASSWORD" = always ] && [ "$ROOT_SET" = yes ]; then
        password_matches "$HASH"
        case $? in 0) ROOT_CURRENT=yes ;; 1) ROOT_CURRENT=no ;; esac
    fi
    KEY_PRESENT=''
    if [ -n "$AUTHORIZED_KEY" ]; then
        KEY_PRESENT=no
        if [ -f "$ROOT_HOME/.ssh/authorized_keys" ] && grep -qxF -- "$AUTHORIZED_KEY" "$ROOT_HOME/.ssh/authorized_keys"; then KEY_PRESENT=yes; fi
    fi
    CA_CURRENT=''
    if [ "$UPDATE_CA_CERTIFICATES" = yes ]; then ca_state; fi
    BLOCK=no
    if grep -qxF -- "$BEGIN_MARK" "$SSHD_CONFIG" 2>/dev/null; then BLOCK=yes; fi
}

state_json() {
    printf '{"password_authentication":%s,"permit_root_login":%s,"sftp_subsystem":%s,"root_password_set":%s,' \
        "$(json_value "$PA")" "$(json_value "$PRL")" "$(json_bool "$SFTP")" "$(json_bool "$ROOT_SET")"
    printf '"root_password_current":%s,"authorized_key_present":%s,"ca_certificates_current":%s,"azmove_sshd_block":%s}' \
        "$(json_bool "$ROOT_CURRENT")" "$(json_bool "$KEY_PRESENT")" "$(json_bool "$CA_CURRENT")" "$(json_bool "$BLOCK")"
}

# Write sshd_config: our block (present) or nothing (absent) in front of the configuration without the block.
# sshd takes the first value of a setting, so the block wins and removing it brings back what was there before.
write_sshd_config() {
    { new_temp && base=$TEMP && new_temp && new=$TEMP; } || { error 'Could not create a temporary file.'; return; }
    without_block > "$base"
    if [ "$1" = present ]; then
        base_effective=$(sshd_effective "$base")
        {
            printf '%s\n' "$BEGIN_MARK"
            if [ "$(setting "$base_effective" passwordauthentication)" != yes ]; then printf 'PasswordAuthentication yes\n'; fi
            if [ "$(setting "$base_effective" permitrootlogin)" != yes ]; then printf 'PermitRootLogin yes\n'; fi
            if ! has_sftp "$base_effective"; then printf 'Subsystem sftp %s\n' "$(sftp_server "$base")"; fi
            printf '%s\n' "$END_MARK"
            cat "$base"
        } > "$new"
    else
        cat "$base" > "$new"
    fi
    if cmp -s "$new" "$SSHD_CONFIG"; then return; fi
    if ! message=$("$SSHD" -t -f "$new" 2>&1); then
        error "The new sshd_config fails sshd -t, so it was not written: $message"
        return
    fi
    cat "$new" > "$SSHD_CONFIG" || { error "Could not write $SSHD_CONFIG."; return; }
    reload_sshd || error 'sshd_config was changed but sshd could not be reloaded; reload it to apply the change.'
}

reload_sshd() {
    if command -v systemctl >/dev/null 2>&1; then
        for unit in ssh.service sshd.service; do
            if systemctl cat "$unit" >/dev/null 2>&1; then
                systemctl reload-or-try-restart "$unit" >/dev/null 2>&1 && return 0
            fi
        done
    fi
    service ssh reload >/dev/null 2>&1 || service sshd reload >/dev/null 2>&1
}

add_key() {
    keys="$ROOT_HOME/.ssh/authorized_keys"
    mkdir -p "$ROOT_HOME/.ssh" && chmod 700 "$ROOT_HOME/.ssh" || { error "Could not create $ROOT_HOME/.ssh."; return; }
    if [ -s "$keys" ] && [ -n "$(tail -c 1 "$keys")" ]; then printf '\n' >> "$keys"; fi
    { printf '%s\n' "$AUTHORIZED_KEY" >> "$keys" && chmod 600 "$keys"; } || { error "Could not write $keys."; return; }
    if command -v restorecon >/dev/null 2>&1; then restorecon -R "$ROOT_HOME/.ssh" >/dev/null 2>&1; fi
}

# Decide every change from the state read into the predicted state; with "no", also make them.
prepare() {
    dry=$1
    if [ "$STATE" = present ]; then
        if [ -n "$SECRET" ]; then
            if [ "$ROOT_SET" != yes ] || { [ "$UPDATE_PASSWORD" = always ] && [ "$ROOT_CURRENT" = no ]; }; then
                changed root_password_set
                ROOT_SET=yes
                if [ "$UPDATE_PASSWORD" = always ]; then ROOT_CURRENT=yes; fi
                if [ "$dry" = no ]; then
                    printf 'root:%s\n' "$SECRET" | chpasswd || error 'chpasswd could not set the root password.'
                fi
            elif [ "$UPDATE_PASSWORD" = always ] && [ -z "$ROOT_CURRENT" ]; then
                note 'perl is not installed, so the root password could not be compared; it is left as it is.'
            fi
        elif [ "$ROOT_SET" != yes ] && [ -z "$AUTHORIZED_KEY" ]; then
            error 'root has no password and no key was given: give the root password the replication appliance (or configuration server) holds.'
        fi
        if [ -n "$AUTHORIZED_KEY" ] && [ "$KEY_PRESENT" != yes ]; then
            changed authorized_key_added
            KEY_PRESENT=yes
            if [ "$dry" = no ]; then add_key; fi
        fi
        sshd_change=no
        if [ "$PA" != yes ]; then changed password_authentication_enabled; PA=yes; sshd_change=yes; fi
        if [ "$PRL" != yes ]; then changed permit_root_login_enabled; PRL=yes; sshd_change=yes; fi
        if [ "$SFTP" != yes ]; then changed sftp_subsystem_enabled; SFTP=yes; sshd_change=yes; fi
        if [ $sshd_change = yes ]; then
            changed sshd_reloaded
            BLOCK=yes
            if [ "$dry" = no ]; then write_sshd_config present; fi
        fi
        if [ "$UPDATE_CA_CERTIFICATES" = yes ]; then
            if [ "$CA_CURRENT" = no ]; then
                changed ca_certificates_updated
                CA_CURRENT=yes
                if [ "$dry" = no ]; then update_ca; fi
            elif [ -z "$CA_CURRENT" ]; then
                note 'Could not tell whether the ca-certificates package is current (no apt-get, dnf, yum or zypper answered); it is left as it is.'
            fi
        fi
    elif [ "$BLOCK" = yes ]; then
        changed sshd_settings_restored
        changed sshd_reloaded
        if new_temp; then
            without_block > "$TEMP"
            base_effective=$(sshd_effective "$TEMP")
            PA=$(setting "$base_effective" passwordauthentication)
            PRL=$(setting "$base_effective" permitrootlogin)
            if has_sftp "$base_effective"; then SFTP=yes; else SFTP=no; fi
        fi
        BLOCK=no
        if [ "$dry" = no ]; then write_sshd_config absent; fi
    else
        note 'sshd_config has no settings of azmove.site_recovery; it is left as it is.'
    fi
}

# Decide first; change only when nothing is wrong (check mode never changes).
read_state
if [ -z "$EFFECTIVE" ]; then
    error "sshd -T cannot read $SSHD_CONFIG: $("$SSHD" -T -f "$SSHD_CONFIG" 2>&1 | tail -n 1)"
fi
BEFORE=$(state_json)
if [ -z "$ERRORS" ]; then prepare yes; fi
if [ -n "$ERRORS" ]; then
    CHANGES=''
    AFTER=$BEFORE
elif [ $CHECK = no ] && [ -n "$CHANGES" ]; then
    EXPECTED="$PA $PRL $SFTP $ROOT_SET $KEY_PRESENT $BLOCK"
    CHANGES=''
    NOTES=''
    read_state
    prepare no
    read_state
    AFTER=$(state_json)
    found="$PA $PRL $SFTP $ROOT_SET $KEY_PRESENT $BLOCK"
    if [ -z "$ERRORS" ] && [ "$EXPECTED" != "$found" ]; then
        error "After the change PasswordAuthentication, PermitRootLogin, sftp, root password, key, block are ($found), not ($EXPECTED)."
    fi
else
    AFTER=$(state_json)
fi
MODE_DONE=apply
if [ $CHECK = yes ]; then MODE_DONE=check; fi
printf 'AZMOVE-RESULT {"os":"linux","mode":"%s","state":"%s","account":"root","account_kind":"local","changes":[%s],' \
    "$MODE_DONE" "$STATE" "$CHANGES"
printf '"before":%s,"after":%s,"notes":[%s],"errors":[%s]}\n' "$BEFORE" "$AFTER" "$NOTES" "$ERRORS"
if [ -n "$ERRORS" ]; then exit 1; fi
exit 0
"""


def build_script(settings):
    """The script lines for Run Command (``script``): the settings as literals, then the body."""
    if settings.os_type == "windows":
        head = [
            SIGNATURE % "windows" + ": get this machine ready for the Site Recovery Mobility service push install.",
            "param([string]$%s = 'check', [string]$%s = '')" % (MODE_PARAMETER, SECRET_PARAMETER),
            "$Account = %s" % ps_quote(settings.account or ""),
            "$AccountKind = %s" % ps_quote(settings.kind),
            "$State = %s" % ps_quote(settings.state),
            "$ManageFirewall = %s" % ("$true" if settings.firewall else "$false"),
            "$UpdatePassword = %s" % ps_quote(settings.update_password),
        ]
        body = WINDOWS_BODY
    else:
        head = [
            "#!/bin/sh",
            SIGNATURE % "linux" + ": get this machine ready for the Site Recovery Mobility service push install.",
            "STATE=%s" % sh_quote(settings.state),
            "AUTHORIZED_KEY=%s" % sh_quote(settings.authorized_key or ""),
            "UPDATE_PASSWORD=%s" % sh_quote(settings.update_password),
            "UPDATE_CA_CERTIFICATES=%s" % sh_quote("yes" if settings.update_ca_certificates else "no"),
            "SSHD_CONFIG='/etc/ssh/sshd_config'",
            "ROOT_HOME='/root'",
        ]
        body = LINUX_BODY
    return head + body.strip("\n").split("\n")


def run_command_input(settings, mode):
    """The Run Command request as plain data: commandId, script, parameters (mode; the secret when it is needed)."""
    parameters = [{"name": MODE_PARAMETER, "value": mode}]
    if settings.password and settings.state == "present":
        parameters.append({"name": SECRET_PARAMETER, "value": encode_secret(settings.password)})
    return {"commandId": COMMAND_IDS[settings.os_type], "script": build_script(settings), "parameters": parameters}


# -- reading what came back -----------------------------------------------------------------------------------
def output_streams(result):
    """(stdout, stderr, failed) of a RunCommandResult as REST data.

    Windows answers two statuses, ComponentStatus/StdOut/* and ComponentStatus/StdErr/*; Linux one, whose message
    is ``Enable succeeded: \\n[stdout]\\n...\\n[stderr]\\n...`` (``Enable failed: ...`` when the script failed).
    """
    stdout, stderr, failed = [], [], False
    for status in (result or {}).get("value") or []:
        code = status.get("code") or ""
        message = status.get("message") or ""
        if "/failed" in code.lower() or (status.get("level") or "").lower() == "error":
            failed = True
        if "stdout" in code.lower():
            stdout.append(message)
        elif "stderr" in code.lower():
            stderr.append(message)
        else:
            out, err = split_linux_message(message)
            stdout.append(out)
            stderr.append(err)
    return "".join(stdout), "".join(stderr), failed


def split_linux_message(message):
    start = message.find("[stdout]\n")
    end = message.rfind("\n[stderr]\n")
    if start < 0:
        return "", message
    start += len("[stdout]\n")
    if end < start:
        return message[start:], ""
    return message[start:end], message[end + len("\n[stderr]\n"):]


def parse_result(stdout):
    """The script's result (the last AZMOVE-RESULT line), or None when there is none."""
    for line in reversed((stdout or "").splitlines()):
        line = line.strip()
        if line.startswith(RESULT_MARKER):
            try:
                data = json.loads(line[len(RESULT_MARKER):])
            except ValueError:
                return None
            if isinstance(data, dict):
                data["changes"] = list(data.get("changes") or [])
                data["notes"] = list(data.get("notes") or [])
                data["errors"] = list(data.get("errors") or [])
                return data
    return None


def tail(text, limit=TAIL_CHARS):
    text = (text or "").strip()
    return text if len(text) <= limit else "..." + text[-limit:]


def outcome(result_data, stdout, stderr, failed, vm_name, mode):
    """The parsed result, or a ScriptFailure saying what went wrong, with the end of both streams."""
    if result_data is None:
        failure = ScriptFailure("The host preparation script (%s run) on %s printed no result line%s; stdout: %s; "
                                "stderr: %s" % (mode, vm_name, " and failed" if failed else "",
                                                tail(stdout, 500) or "(empty)", tail(stderr, 500) or "(empty)"),
                                code="HostPreparationFailed")
    elif result_data["errors"]:
        failure = ScriptFailure("Preparing %s for the push install failed (%s run, nothing was changed unless listed "
                                "in changes): %s" % (vm_name, mode, " ".join(result_data["errors"])),
                                code="HostPreparationFailed")
        failure.result = result_data
    else:
        return result_data
    failure.stdout, failure.stderr = tail(stdout), tail(stderr)
    raise failure


# -- Azure ----------------------------------------------------------------------------------------------------
def is_busy(failure):
    """Azure runs one Run Command per VM at a time; a second one gets 409 Conflict until the first ends."""
    return failure.status == 409 and "in progress" in (failure.message or "").lower()


class HostPreparation:
    """Runs the preparation script on one VM through the compute client's Run Command (action API)."""

    def __init__(self, compute, resource_group, vm_name, settings, timeout, clock=None, busy_retry=BUSY_RETRY_SECONDS):
        self.compute = compute
        self.resource_group = resource_group
        self.vm_name = vm_name
        self.settings = settings
        self.timeout = timeout
        self.clock = clock or Clock()
        self.busy_retry = busy_retry
        self.modes = []

    def request(self, mode):
        from azure.mgmt.compute.models import RunCommandInput, RunCommandInputParameter  # pylint: disable=import-outside-toplevel

        data = run_command_input(self.settings, mode)
        return RunCommandInput(command_id=data["commandId"], script=data["script"],
                               parameters=[RunCommandInputParameter(name=p["name"], value=p["value"]) for p in data["parameters"]])

    def start(self, body, what):
        """Start the Run Command; while another one runs on the VM, wait and try again until the deadline."""
        from azure.core.exceptions import HttpResponseError  # pylint: disable=import-outside-toplevel

        started = self.clock.now()
        while True:
            try:
                return self.compute.virtual_machines.begin_run_command(self.resource_group, self.vm_name, body), started
            except HttpResponseError as exc:
                failure = translate(exc)
                waited = self.clock.now() - started
                if not is_busy(failure):
                    raise
                if waited + self.busy_retry > self.timeout:
                    raise WaitTimeout("%s to start (another Run Command was running on the VM)" % what, waited,
                                      failure.message) from None
                self.clock.sleep(self.busy_retry)

    def run(self, mode):
        """Run the script in ``check`` or ``apply`` mode; answer its parsed result."""
        from ._discovery import rest  # pylint: disable=import-outside-toplevel

        what = "the %s run of the host preparation script on %s" % (mode, self.vm_name)
        poller, started = self.start(self.request(mode), what)
        self.modes.append(mode)
        remaining = max(1.0, self.timeout - (self.clock.now() - started))
        result = rest(wait_for_poller(poller, what, remaining))
        stdout, stderr, failed = output_streams(result)
        return outcome(parse_result(stdout), stdout, stderr, failed, self.vm_name, mode)

    def prepare(self, check_mode):
        """Read first; change only what differs. Answers (changed, first result, last result)."""
        checked = self.run("check")
        if check_mode or not checked["changes"]:
            return bool(checked["changes"]), checked, checked
        applied = self.run("apply")
        return bool(applied["changes"]), checked, applied
