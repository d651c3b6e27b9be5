"""Reading the legacy builder's stream: lines the engine sends in pieces are joined."""

from __future__ import annotations

from grader.engine.build import BuildResult, read_chunk

# Recorded from a failed `apt-get install` in a build: apt's coloured "E" and the
# rest of its line arrive as separate chunks, and a step line may be split too.
CHUNKS = [
    {"stream": "Step 2/3 : RUN apt-get install -y"},
    {"stream": " curl\n"},
    {"stream": " ---> Running in 0d17de7d2e6f\n"},
    {"stream": "\x1b[91mE"},
    {"stream": ": Failed to fetch http://deb.debian.org/curl.deb  404  Not Found\n"},
    {"stream": "\x1b[0m\x1b[91mE: Unable to fetch some archives\r\n\x1b[0m"},
    {"stream": "Half a line the engine never ended"},
    {"error": "The command '/bin/sh -c apt-get install -y curl' returned 100"},
]


def test_lines_sent_in_pieces_are_joined() -> None:
    result = BuildResult(tag="t")
    for chunk in CHUNKS:
        read_chunk(result, chunk)

    assert result.log_lines == [
        "Step 2/3 : RUN apt-get install -y curl",
        " ---> Running in 0d17de7d2e6f",
        "E: Failed to fetch http://deb.debian.org/curl.deb  404  Not Found",
        "E: Unable to fetch some archives",
        "Half a line the engine never ended",
        "The command '/bin/sh -c apt-get install -y curl' returned 100",
    ]
    assert [step.instruction for step in result.steps] == [
        "RUN apt-get install -y curl"
    ]
    assert result.error is not None and result.error.endswith("returned 100")
