#!/usr/bin/env python3
"""Writes the synthetic benchmark images of scripts/bench.sh as OCI layouts with
one uncompressed layer each, deterministically (fixed seed, fixed mtimes):

  small  many small files (default 50,000 of 64 B .. 8 KiB, half of them text)
  big    one big file (default 2 GiB) of 1 MiB pieces alternating text and random

Usage: bench-images.py small|big OUT_DIR [COUNT_OR_MIB]
"""
import hashlib, io, json, os, random, sys, tarfile

MIB = 1 << 20


def text_bytes(rng, n):
    words = [b'lorem', b'ipsum', b'dolor', b'sit', b'amet', b'nydus', b'chunk', b'blob']
    out = bytearray()
    while len(out) < n:
        out += rng.choice(words) + b' '
    return bytes(out[:n])


class HashingWriter:
    """A file that hashes what passes through it, so the layer digest costs no re-read."""
    def __init__(self, path):
        self.f = open(path, 'wb')
        self.h = hashlib.sha256()
        self.size = 0

    def write(self, b):
        self.h.update(b)
        self.size += len(b)
        return self.f.write(b)

    def close(self):
        self.f.close()


def small_layer(w, count):
    rng = random.Random(1)
    with tarfile.open(fileobj=w, mode='w|', format=tarfile.PAX_FORMAT) as tar:
        for d in range(count // 500 + 1):
            info = tarfile.TarInfo(f'd{d:04}')
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1700000000
            tar.addfile(info)
        for i in range(count):
            size = rng.randint(64, 8192)
            data = text_bytes(rng, size) if i % 2 == 0 else rng.randbytes(size)
            info = tarfile.TarInfo(f'd{i // 500:04}/f{i:06}')
            info.size, info.mode, info.mtime = size, 0o644, 1700000000
            tar.addfile(info, io.BytesIO(data))


def big_layer(w, mib):
    rng = random.Random(2)
    text = text_bytes(rng, MIB)
    info = tarfile.TarInfo('big.bin')
    info.size, info.mode, info.mtime = mib * MIB, 0o644, 1700000000
    w.write(info.tobuf(format=tarfile.GNU_FORMAT))
    for i in range(mib):
        # Stamp the piece number into the text so no two pieces dedup away.
        w.write(rng.randbytes(MIB) if i % 2 else i.to_bytes(8, 'little') + text[8:])
    w.write(b'\0' * 1024)


def put_blob(out, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, 'blobs', 'sha256', digest), 'wb') as f:
        f.write(data)
    return {'digest': 'sha256:' + digest, 'size': len(data)}


def main():
    kind, out = sys.argv[1], sys.argv[2]
    amount = int(sys.argv[3]) if len(sys.argv) > 3 else (50000 if kind == 'small' else 2048)
    os.makedirs(os.path.join(out, 'blobs', 'sha256'), exist_ok=True)
    tmp = os.path.join(out, 'layer.tmp')
    w = HashingWriter(tmp)
    small_layer(w, amount) if kind == 'small' else big_layer(w, amount)
    w.close()
    layer_digest = w.h.hexdigest()
    os.replace(tmp, os.path.join(out, 'blobs', 'sha256', layer_digest))
    config = {'architecture': 'amd64', 'os': 'linux',
              'rootfs': {'type': 'layers', 'diff_ids': ['sha256:' + layer_digest]},
              'config': {}}
    config_desc = put_blob(out, json.dumps(config).encode())
    config_desc['mediaType'] = 'application/vnd.oci.image.config.v1+json'
    manifest = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                'config': config_desc,
                'layers': [{'mediaType': 'application/vnd.oci.image.layer.v1.tar',
                            'digest': 'sha256:' + layer_digest, 'size': w.size}]}
    manifest_desc = put_blob(out, json.dumps(manifest).encode())
    manifest_desc['mediaType'] = 'application/vnd.oci.image.manifest.v1+json'
    manifest_desc['annotations'] = {'org.opencontainers.image.ref.name': 'bench'}
    with open(os.path.join(out, 'index.json'), 'w') as f:
        json.dump({'schemaVersion': 2, 'manifests': [manifest_desc]}, f)
    with open(os.path.join(out, 'oci-layout'), 'w') as f:
        json.dump({'imageLayoutVersion': '1.0.0'}, f)


main()
