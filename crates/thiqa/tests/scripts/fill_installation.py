"""Fills a stopped Thiqa data directory for the restore tests: `pad_mb` MiB
of random padding and `files` evidence files (rows and blobs), so each step
of a restore takes long enough for a test to kill it there.

Usage: fill_installation.py DATA_DIR PAD_MB FILES
"""
import hashlib
import os
import sqlite3
import sys

data, pad_mb, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(os.path.join(data, "thiqa.db"))
c.execute("CREATE TABLE padding(b BLOB)")
for _ in range(pad_mb):
    c.execute("INSERT INTO padding VALUES (randomblob(1048576))")
if files:
    c.execute("INSERT INTO providers (name, created_at) VALUES ('Fill', 0)")
    provider = c.execute("SELECT MAX(id) FROM providers").fetchone()[0]
    c.execute(
        "INSERT INTO services (provider_id, name, model, level, created_at, updated_at)"
        " VALUES (?, 'Fill', 'iaas', 1, 0, 0)",
        (provider,),
    )
    service = c.execute("SELECT MAX(id) FROM services").fetchone()[0]
for _ in range(files):
    blob = os.urandom(512)
    sha = hashlib.sha256(blob).hexdigest()
    folder = os.path.join(data, "blobs", "sha256", sha[:2])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, sha), "wb") as f:
        f.write(blob)
    c.execute(
        "INSERT INTO evidence (service_id, kind, title, sha256, size, filename, media_type,"
        " created_at, created_by) VALUES (?, 'file', 'fill', ?, 512, 'f.txt', 'text/plain', 0, 'test')",
        (service, sha),
    )
    c.execute(
        "INSERT INTO evidence_versions (evidence_id, version, sha256, size, filename, media_type,"
        " created_at, created_by) VALUES (last_insert_rowid(), 1, ?, 512, 'f.txt', 'text/plain', 0, 'test')",
        (sha,),
    )
c.commit()
