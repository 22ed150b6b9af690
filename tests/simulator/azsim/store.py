"""SQLite-backed state: resources, operations, identities, faults and the request log.

One connection guarded by a lock: the simulator's load is tiny and a single
connection keeps WAL + transactions trivially consistent across threads.
"""
import json
import sqlite3
import threading
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources (
    cloud TEXT NOT NULL, rid_lower TEXT NOT NULL, rid TEXT NOT NULL,
    type_lower TEXT NOT NULL, sub TEXT NOT NULL, rg_lower TEXT,
    body TEXT NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (cloud, rid_lower));
CREATE INDEX IF NOT EXISTS res_type ON resources (cloud, type_lower, sub, rg_lower);
CREATE TABLE IF NOT EXISTS operations (
    op_id TEXT PRIMARY KEY, cloud TEXT NOT NULL, kind TEXT NOT NULL,
    created REAL NOT NULL, due REAL NOT NULL, action TEXT NOT NULL,
    failure TEXT, applied INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS op_due ON operations (applied, due);
CREATE TABLE IF NOT EXISTS credentials (
    id INTEGER PRIMARY KEY AUTOINCREMENT, cloud TEXT NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS faults (
    id TEXT PRIMARY KEY, rule TEXT NOT NULL, remaining INTEGER, hits INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, cloud TEXT, port TEXT NOT NULL,
    method TEXT NOT NULL, path TEXT NOT NULL, api_version TEXT, status INTEGER,
    latency_ms REAL, request_id TEXT, fault TEXT);
"""


class Store:
    def __init__(self, path):
        self.path = path
        self.lock = threading.RLock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self):
        with self.lock:
            self.db.close()

    # -- generic helpers -------------------------------------------------
    def execute(self, sql, args=()):
        with self.lock:
            return self.db.execute(sql, args)

    def query(self, sql, args=()):
        with self.lock:
            return [dict(r) for r in self.db.execute(sql, args).fetchall()]

    # -- meta --------------------------------------------------------------
    def get_meta(self, key, default=None):
        rows = self.query("SELECT value FROM meta WHERE key=?", (key,))
        return json.loads(rows[0]["value"]) if rows else default

    def set_meta(self, key, value):
        self.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    # -- resources -----------------------------------------------------------
    def put_resource(self, cloud, rid, rtype, sub, rg, body):
        with self.lock:
            row = self.db.execute("SELECT created FROM resources WHERE cloud=? AND rid_lower=?",
                                  (cloud, rid.lower())).fetchone()
            created = row["created"] if row else time.time()
            self.db.execute(
                "INSERT OR REPLACE INTO resources (cloud, rid_lower, rid, type_lower, sub, rg_lower, body, created)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (cloud, rid.lower(), rid, rtype.lower(), sub.lower(), (rg or "").lower(), json.dumps(body), created))
            return row is None

    def get_resource(self, cloud, rid):
        rows = self.query("SELECT body FROM resources WHERE cloud=? AND rid_lower=?", (cloud, rid.lower()))
        return json.loads(rows[0]["body"]) if rows else None

    def delete_resource(self, cloud, rid, children=True):
        with self.lock:
            cur = self.db.execute("DELETE FROM resources WHERE cloud=? AND rid_lower=?", (cloud, rid.lower()))
            if children:
                like = rid.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
                self.db.execute("DELETE FROM resources WHERE cloud=? AND rid_lower LIKE ? ESCAPE '\\'",
                                (cloud, like))
            return cur.rowcount > 0

    def delete_rg_contents(self, cloud, sub, rg):
        self.execute("DELETE FROM resources WHERE cloud=? AND sub=? AND rg_lower=?", (cloud, sub.lower(), rg.lower()))

    def list_resources(self, cloud, rtype, sub, rg=None):
        sql = "SELECT body FROM resources WHERE cloud=? AND type_lower=? AND sub=?"
        args = [cloud, rtype.lower(), sub.lower()]
        if rg is not None:
            sql += " AND rg_lower=?"
            args.append(rg.lower())
        sql += " ORDER BY created, rid_lower"
        return [json.loads(r["body"]) for r in self.query(sql, args)]

    # -- operations ------------------------------------------------------------
    def add_operation(self, op_id, cloud, kind, due, action, failure=None):
        self.execute("INSERT INTO operations (op_id, cloud, kind, created, due, action, failure) VALUES (?,?,?,?,?,?,?)",
                     (op_id, cloud, kind, time.time(), due, json.dumps(action),
                      json.dumps(failure) if failure else None))

    def get_operation(self, op_id):
        rows = self.query("SELECT * FROM operations WHERE op_id=?", (op_id,))
        if not rows:
            return None
        op = rows[0]
        op["action"] = json.loads(op["action"])
        op["failure"] = json.loads(op["failure"]) if op["failure"] else None
        return op

    def due_operations(self, now):
        rows = self.query("SELECT op_id FROM operations WHERE applied=0 AND due<=? ORDER BY due", (now,))
        return [r["op_id"] for r in rows]

    def mark_applied(self, op_id):
        cur = self.execute("UPDATE operations SET applied=1 WHERE op_id=? AND applied=0", (op_id,))
        return cur.rowcount > 0

    # -- credentials --------------------------------------------------------------
    def add_credential(self, cloud, kind, data):
        cur = self.execute("INSERT INTO credentials (cloud, kind, data) VALUES (?,?,?)", (cloud, kind, json.dumps(data)))
        return cur.lastrowid

    def credentials(self, cloud, kind):
        return [json.loads(r["data"]) for r in
                self.query("SELECT data FROM credentials WHERE cloud=? AND kind=? ORDER BY id", (cloud, kind))]

    # -- request log ----------------------------------------------------------------
    def log_request(self, **row):
        self.execute(
            "INSERT INTO requests (ts, cloud, port, method, path, api_version, status, latency_ms, request_id, fault)"
            " VALUES (:ts,:cloud,:port,:method,:path,:api_version,:status,:latency_ms,:request_id,:fault)", row)

    def requests(self, since=0, cloud=None, method=None, path_contains=None, port=None, limit=10000):
        sql = "SELECT * FROM requests WHERE id>?"
        args = [int(since or 0)]
        for col, val in (("cloud", cloud), ("method", method and method.upper()), ("port", port)):
            if val:
                sql += f" AND {col}=?"
                args.append(val)
        if path_contains:
            sql += " AND lower(path) LIKE ?"
            args.append("%" + path_contains.lower() + "%")
        sql += " ORDER BY id LIMIT ?"
        args.append(int(limit))
        return self.query(sql, args)
