"""Stores N small objects and their system metadata with the Python reference HashStore,
serially, as the reference's own users do, and prints "pyref_small_store <objects/s> objects/s".

It is a measuring driver only: the reference itself is not part of this repository. Point
PYTHONPATH at its src/ directory (a checkout of github.com/DataONEorg/hashstore, tag 1.1.0);
bench/bulk.sh runs this when HASHSTORE_PY_SRC names that directory.

usage: python3 store_small.py STORE_DIR N [SIZE]
"""
import hashlib
import os
import sys
import time

from hashstore import HashStoreFactory


def main():
    store_dir, n = sys.argv[1], int(sys.argv[2])
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 4096
    props = {
        "store_path": store_dir,
        "store_depth": 3,
        "store_width": 2,
        "store_algorithm": "SHA-256",
        "store_metadata_namespace": "https://ns.dataone.org/service/types/v2.0#SystemMetadata",
    }
    store = HashStoreFactory().get_hashstore("hashstore.filehashstore", "FileHashStore", props)
    seed = os.urandom(16).hex()
    src = store_dir + ".src"
    os.makedirs(src, exist_ok=True)
    items = []
    for i in range(n):
        data = (f"pyref {seed} {i} ".encode() * (size // 8 + 1))[:size]
        pid = f"pyref.{seed}.{i}"
        md5 = hashlib.md5(data).hexdigest()
        sysmeta = (
            '<?xml version="1.0"?><d1:systemMetadata xmlns:d1="http://ns.dataone.org/service/types/v2.0">'
            f"<identifier>{pid}</identifier><formatId>text/plain</formatId><size>{size}</size>"
            f'<checksum algorithm="MD5">{md5}</checksum></d1:systemMetadata>'
        ).encode()
        # Files on disk, as the Go bench reads them: the reference takes paths.
        data_path, sysmeta_path = os.path.join(src, f"{i}.data"), os.path.join(src, f"{i}.xml")
        with open(data_path, "wb") as f:
            f.write(data)
        with open(sysmeta_path, "wb") as f:
            f.write(sysmeta)
        items.append((pid, data_path, md5, sysmeta_path))
    start = time.perf_counter()
    for pid, data_path, md5, sysmeta_path in items:
        store.store_object(pid, data_path, checksum=md5, checksum_algorithm="MD5", expected_object_size=size)
        store.store_metadata(pid, sysmeta_path)
    elapsed = time.perf_counter() - start
    print(f"pyref_small_store {n / elapsed:.1f} objects/s")


if __name__ == "__main__":
    main()
