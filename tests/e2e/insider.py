"""What an insider who holds the master key can compute with the standard
library alone (docs/keys.md): the keys derived from it, the seal of a
catalog row, the journal's HMAC chain. The trust tests use it to play the
second insider of docs/threat-model.md: one who can forge everything the
master key protects, and must still be unable to decide in another's name."""
import hashlib
import hmac
import json
import os
import struct


class MasterKeyHolder:
    def __init__(self, archive):
        with open(archive.key, "rb") as f:
            master = f.read()
        with open(os.path.join(archive.dir, "archive.json"), encoding="utf-8") as f:
            self.archive_id = json.load(f)["id"]
        self.prk = hmac.new(self.archive_id.encode(), master, hashlib.sha256).digest()

    def key(self, label):
        return hmac.new(self.prk, ("casevault/v1 " + label).encode() + b"\x01", hashlib.sha256).digest()

    # -- catalog rows (catalog/rowmac.c) --------------------------------
    @staticmethod
    def _value(v):
        if v is None:
            return bytes([5])
        if isinstance(v, int):
            return bytes([1]) + struct.pack(">q", v)
        if isinstance(v, float):
            return bytes([2]) + struct.pack(">d", v)
        if isinstance(v, str):
            b = v.encode()
            return bytes([3]) + struct.pack(">I", len(b)) + b
        return bytes([4]) + struct.pack(">I", len(v)) + bytes(v)

    def reseal(self, db, table, where, *args):
        """Give the rows of `table` matching `where` a valid seal."""
        cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
        k = self.key("catalog-row-seal")
        for row in db.execute(f"SELECT rowid, * FROM {table} WHERE {where}", args).fetchall():
            rowid, vals = row[0], row[1:]
            data = b"cvrow1" + struct.pack(">I", len(table)) + table.encode() + struct.pack(">I", len(cols) - 1)
            data += b"".join(self._value(v) for c, v in zip(cols, vals) if c != "mac")
            db.execute(f"UPDATE {table} SET mac=? WHERE rowid=?", (hmac.new(k, data, hashlib.sha256).digest(), rowid))

    # -- the journal (journal/journal.c) --------------------------------
    @staticmethod
    def _field(b):
        return struct.pack(">I", len(b)) + b

    def append(self, db, time, actor, action, obj, outcome="ok", signer=None, sig=None):
        """Append a journal entry chained with the journal key."""
        seq, prev = db.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        seq += 1
        enc = b"cvj2" + struct.pack(">Q", seq) + b"".join(
            self._field(x.encode()) for x in (time, actor, action, obj, outcome))
        enc += self._field((signer or "").encode()) + self._field(sig if signer and sig else b"")
        h = hmac.new(self.key("journal-chain"), bytes(prev) + enc, hashlib.sha256).digest()
        db.execute("INSERT INTO journal(seq,time,actor,action,object,outcome,prev,hash,signer,sig) "
                   "VALUES(?,?,?,?,?,?,?,?,?,?)", (seq, time, actor, action, obj, outcome, prev, h, signer, sig))
        return seq
