"""The one file hash (pipelines/file_hash.py) and the package fingerprint made from it."""

from pipelines.file_hash import BLOCK_BYTES, file_sha256
from pipelines.ingest.read import package_fingerprint


def test_file_sha256_is_the_sha256_of_the_bytes_and_shows_every_block(tmp_path):
    small = tmp_path / "abc.csv"
    small.write_bytes(b"abc")
    # FIPS 180-2, appendix B.1: SHA-256("abc")
    assert file_sha256(small) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    large = tmp_path / "large.csv"
    large.write_bytes(b"x" * (BLOCK_BYTES + 5))
    seen = []
    file_sha256(large, seen.append)
    assert [len(block) for block in seen] == [BLOCK_BYTES, 5]


def test_the_fingerprint_tells_packages_apart_by_content_and_by_name(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        folder.mkdir()
        (folder / "regions.csv").write_text("region_code,region_name\nEU,Europe\n")
    same = package_fingerprint([a / "regions.csv"]), package_fingerprint([b / "regions.csv"])
    assert same[0] == same[1] and len(same[0]) == 12
    (b / "regions.csv").write_text("region_code,region_name\nEU,Europa\n")
    assert package_fingerprint([b / "regions.csv"]) != same[0]
    (a / "regions.csv").rename(a / "countries.csv")
    assert package_fingerprint([a / "countries.csv"]) != same[0]
