"""Where an image's bytes are: layer listings, dive's wasted bytes, and the sources."""

from __future__ import annotations

import io
import json
import os
import random
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from grader.engine import image_bytes
from grader.engine.image_bytes import (
    LayerFile,
    layered_steps,
    measure_waste,
    read_layer_dir,
    read_layer_tar,
    read_saved_layers,
)
from grader.engine.labels import RUN

File = tuple[str, int]


def layer_tar(
    files: list[File] | None = None,
    folders: list[str] | None = None,
    extra: list[tarfile.TarInfo] | None = None,
) -> bytes:
    """A layer's tar: folders, files of the given sizes, and any other members."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name in folders or []:
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            archive.addfile(info)
        for name, size in files or []:
            info = tarfile.TarInfo(name)
            info.size = size
            archive.addfile(info, io.BytesIO(b"x" * size))
        for info in extra or []:
            archive.addfile(info)
    return buffer.getvalue()


def entries(data: bytes) -> list[LayerFile]:
    return read_layer_tar(io.BytesIO(data))


def test_tar_listing_turns_whiteouts_into_deleted_paths() -> None:
    data = layer_tar(
        files=[("opt/.wh.big.bin", 0), ("etc/motd", 3), ("srv/.wh..wh..opq", 0)],
        folders=["opt", "etc", "srv"],
    )

    listed = {entry.path: entry for entry in entries(data)}

    assert listed["/opt/big.bin"].whiteout
    assert listed["/etc/motd"].size == 3
    assert listed["/srv"].is_dir
    # The opaque marker is skipped, as dive skips it.
    assert not any(".wh." in path for path in listed)


def test_a_file_overwritten_later_wastes_every_copy() -> None:
    base = entries(layer_tar([("etc/config", 100), ("etc/keep", 50)], ["etc"]))
    later = entries(layer_tar([("etc/config", 40)], ["etc"]))

    waste = measure_waste([base, later])

    assert waste.total == 140
    assert waste.per_layer == [100, 40]
    assert [(item.path, item.layers) for item in waste.paths] == [("/etc/config", 2)]


def test_a_file_deleted_later_wastes_its_bytes() -> None:
    first = entries(layer_tar([("opt/big.bin", 1000)], ["opt"]))
    second = entries(layer_tar([("opt/.wh.big.bin", 0)], ["opt"]))

    waste = measure_waste([[], first, second])

    assert waste.total == 1000
    assert waste.per_layer == [0, 1000, 0]


def test_deleting_a_folder_wastes_each_file_it_held() -> None:
    first = entries(
        layer_tar([("opt/junk/a", 300), ("opt/junk/b", 200)], ["opt", "opt/junk"])
    )
    second = entries(layer_tar([("opt/.wh.junk", 0)], ["opt"]))

    waste = measure_waste([first, second])

    assert waste.total == 500
    assert {item.path for item in waste.paths} == {"/opt/junk/a", "/opt/junk/b"}


def test_a_folder_holding_new_files_is_only_their_parent() -> None:
    base = entries(layer_tar([("usr/bin/ls", 120)], ["usr", "usr/bin"]))
    later = entries(layer_tar([("usr/bin/jq", 80)], ["usr", "usr/bin"]))

    assert measure_waste([base, later]).total == 0


def test_a_hard_link_has_no_bytes_of_its_own() -> None:
    link = tarfile.TarInfo("bin/other")
    link.type = tarfile.LNKTYPE
    link.linkname = "bin/tool"
    data = layer_tar([("bin/tool", 70)], ["bin"], [link])

    sizes = {entry.path: entry.size for entry in entries(data)}

    assert sizes == {"/bin": 0, "/bin/tool": 70, "/bin/other": 0}


def chunked(data: bytes, sizes: Iterator[int]) -> Iterator[bytes]:
    """Split `data` into chunks of uneven sizes, as an HTTP stream arrives."""
    offset = 0
    while offset < len(data):
        size = next(sizes)
        yield data[offset : offset + size]
        offset += size


def saved_image(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_saved_image_layers_come_in_manifest_order() -> None:
    # The legacy layout, manifest last, layers stored in another order.
    bottom = layer_tar([("opt/big.bin", 1000)], ["opt"])
    top = layer_tar([("opt/.wh.big.bin", 0)], ["opt"])
    manifest = json.dumps([{"Layers": ["aaa/layer.tar", "bbb/layer.tar"]}]).encode()
    data = saved_image(
        [
            ("bbb/layer.tar", top),
            ("bbb/json", b"{}"),
            ("aaa/layer.tar", bottom),
            ("config.json", b"{}"),
            ("manifest.json", manifest),
        ]
    )
    rng = random.Random(3)

    layers = read_saved_layers(chunked(data, iter(lambda: rng.randint(1, 4000), 0)))

    assert [entry.path for entry in layers[0]] == ["/opt", "/opt/big.bin"]
    assert layers[1][-1].whiteout
    assert measure_waste(layers).total == 1000


def test_saved_image_in_oci_layout_skips_blobs_that_are_no_layer() -> None:
    layer = layer_tar([("app/main.py", 12)], ["app"])
    manifest = json.dumps([{"Layers": ["blobs/sha256/beef"]}]).encode()
    data = saved_image(
        [
            ("manifest.json", manifest),
            ("blobs/sha256/cafe", b'{"config": true}'),
            ("blobs/sha256/beef", layer),
        ]
    )

    layers = read_saved_layers([data])

    assert [(entry.path, entry.size) for entry in layers[0]] == [
        ("/app", 0),
        ("/app/main.py", 12),
    ]


def test_saved_image_without_manifest_is_refused() -> None:
    with pytest.raises(ValueError, match=r"manifest\.json"):
        read_saved_layers([saved_image([("aaa/layer.tar", layer_tar())])])


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="making an overlayfs whiteout (a 0:0 character device) needs root",
)
def test_layer_folder_listing_sees_whiteouts_and_hard_links(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "motd").write_text("hi\n")
    os.link(tmp_path / "etc" / "motd", tmp_path / "etc" / "motd.link")
    os.mknod(tmp_path / "etc" / "gone", 0o600 | 0o020000, os.makedev(0, 0))

    listed = {entry.path: entry for entry in read_layer_dir(tmp_path)}

    assert listed["/etc"].is_dir
    assert listed["/etc/gone"].whiteout
    assert sorted(listed[p].size for p in ("/etc/motd", "/etc/motd.link")) == [0, 3]


def test_known_step_images_say_exactly_which_steps_made_layers() -> None:
    # Recorded from a legacy build: the WORKDIR of an existing folder made no layer,
    # though a size-based guess would give the zero-size layer to it.
    history = [
        {"CreatedBy": "", "Size": 122066415, "Id": "sha256:base"},
        {"CreatedBy": "/bin/sh -c #(nop) COPY file:ab in /opt/blob.bin", "Size": 300},
        {"CreatedBy": "/bin/sh -c rm /opt/blob.bin", "Size": 0},
        {"CreatedBy": "/bin/sh -c #(nop) WORKDIR /srv", "Size": 0},
    ]
    counts = [1, 2, 3, 3]

    steps = layered_steps(history, counts, 3)

    assert [step.has_layer for step in steps] == [True, True, True, False]


def test_unknown_step_images_are_guessed_within_the_known_bounds() -> None:
    # A pulled base (`<missing>` history) under a legacy build.
    history = [
        {"CreatedBy": "ADD rootfs.tar /", "Size": 80, "Id": "<missing>"},
        {"CreatedBy": 'CMD ["bash"]', "Size": 0, "Id": "sha256:base"},
        {"CreatedBy": "/bin/sh -c #(nop) WORKDIR /app", "Size": 0, "Id": "sha256:a"},
        {"CreatedBy": "/bin/sh -c pip install x", "Size": 900, "Id": "<missing>"},
    ]

    steps = layered_steps(history, [None, 1, 2, None], 3)

    assert [step.has_layer for step in steps] == [True, False, True, True]


@pytest.fixture
def wasteful_image(
    engine: docker.DockerClient, tmp_path: Path
) -> Iterator[tuple[str, int]]:
    """An image whose second layer's file the third deletes; removed afterwards."""
    blob = random.Random(11).randbytes(250_000)
    (tmp_path / "blob.bin").write_bytes(blob)
    (tmp_path / "Dockerfile").write_text(
        "FROM debian:bookworm-slim\n"
        "COPY blob.bin /opt/blob.bin\n"
        "RUN rm /opt/blob.bin && echo changed > /etc/debian_version\n"
    )
    tag = f"brickyard-test-image-bytes:{uuid.uuid4().hex[:12]}"
    image, _ = engine.images.build(
        path=str(tmp_path),
        tag=tag,
        labels={RUN: "test-image-bytes"},
        network_mode="none",
        rm=True,
        forcerm=True,
    )
    try:
        yield str(image.id), len(blob)
    finally:
        engine.images.remove(tag, force=True)


@pytest.mark.engine
def test_overlay_folders_and_docker_save_agree(
    engine: docker.DockerClient, wasteful_image: tuple[str, int]
) -> None:
    image_id, blob_size = wasteful_image
    attrs = engine.api.inspect_image(image_id)

    from_save = read_saved_layers(engine.api.get_image(image_id, chunk_size=1 << 16))
    waste = measure_waste(from_save)
    described = image_bytes.describe_image(engine, image_id, "Dockerfile")

    # A file deleted later wastes its size; a base file overwritten later wastes
    # both copies, the base's and the new one.
    assert waste.total > blob_size
    assert described["wasted_bytes"] == waste.total
    assert described["layers"] == len(attrs["RootFS"]["Layers"]) == 3
    instructions = [step["instruction"] for step in described["steps"]]
    assert any(text.startswith("RUN rm /opt/blob.bin") for text in instructions)
    assert {"/opt/blob.bin", "/etc/debian_version"} <= {
        item["path"] for item in described["wasted_paths"]
    }
    if image_bytes.overlay_folders(attrs) is not None:
        assert described["source"] == "overlay2"
        from_folders, _ = image_bytes.read_layers(engine, attrs)
        # Which of two hard links holds the bytes may differ; paths and totals not.
        assert [{e.path for e in layer} for layer in from_folders] == [
            {e.path for e in layer} for layer in from_save
        ]
        assert measure_waste(from_folders) == waste
