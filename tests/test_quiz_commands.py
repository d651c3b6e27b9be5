"""Command answers: every spelling of one command is one canonical command."""

from __future__ import annotations

import pytest

from grader.quiz.bank import load_bank
from grader.quiz.commands import CommandError, normalize, parse
from grader.quiz.keys import KEYS_PATH, PRACTICE_FILE, load_keys, load_practice
from grader.quiz.scoring import read_answer, score
from tests.conftest import REPO

BANK = load_bank(REPO / "quiz")
KEYS = load_keys(REPO / KEYS_PATH, BANK)
PRACTICE = load_practice(REPO / "quiz" / PRACTICE_FILE, BANK)

SAME = [
    # -a and --all, and the management-command spelling of ps
    ["docker ps -a", "docker ps --all", "docker container ls -a"],
    ["docker ps -a", "docker container list --all", "docker container ps -a"],
    ["docker ps -a", "docker ps --all=true", "$ docker ps -a", "sudo docker ps -a"],
    # clusters and flag order
    ["docker ps -aq", "docker ps -q -a", "docker ps --quiet --all"],
    ["docker run -it --rm debian sh", "docker run --rm -ti debian sh"],
    ["docker run -it --rm debian sh", "docker container run -i -t --rm debian sh"],
    # values: attached, with =, short or long, in any order
    [
        "docker run -d --name web -p 8080:8000 shop:v1",
        "docker run --name=web --detach --publish 8080:8000 shop:v1",
        "docker run -dp 8080:8000 --name web shop:v1",
        "docker run -p8080:8000 -d --name web shop:v1",
    ],
    ["docker logs -f web", "docker logs --follow web", "docker container logs -f web"],
    ["docker logs --tail 20 web", "docker logs -n 20 web", "docker logs --tail=20 web"],
    ["docker logs --tail 20 web", "docker logs web -n 20"],
    ["docker rm -f web", "docker container rm --force web", "docker rm web -f"],
    ["docker rm -f web", "docker container remove -f web"],
    ["docker images", "docker image ls", "docker image list"],
    ["docker rmi shop:v1", "docker image rm shop:v1", "docker image remove shop:v1"],
    [
        "docker build -t shop:v1 .",
        "docker build --tag shop:v1 .",
        "docker image build -t shop:v1 .",
    ],
    ["docker build -t shop:v1 .", "docker buildx build -t shop:v1 ."],
    [
        "docker tag shop:v1 ghcr.io/ada/shop:v1",
        "docker image tag shop:v1 ghcr.io/ada/shop:v1",
    ],
    ["docker push ghcr.io/ada/shop:v1", "docker image push ghcr.io/ada/shop:v1"],
    ["docker exec -it web sh", "docker container exec --interactive --tty web sh"],
    ["docker volume ls", "docker volume list"],
    ["docker volume rm data", "docker volume remove data"],
    ["docker container prune -f", "docker container prune --force"],
    ["docker system prune -a", "docker system prune --all"],
    ["docker info", "docker system info"],
    ["docker stop -t 5 web", "docker stop --time 5 web", "docker stop --timeout=5 web"],
    # compose, and the old docker-compose spelling
    ["docker compose up -d", "docker compose up --detach", "docker-compose up -d"],
    ["docker compose down -v", "docker compose down --volumes"],
    ["docker compose logs -f web", "docker-compose logs --follow web"],
    ["docker compose up -d --scale web=3", "docker compose up --scale=web=3 -d"],
    ["docker compose -f a.yaml up -d", "docker compose --file a.yaml up --detach"],
    ["docker compose exec -T db sh", "docker compose exec --no-TTY db sh"],
    # quoting is the shell's business
    ["docker exec web sh -c 'ls -a'", 'docker exec web sh -c "ls -a"'],
    # what only restates a default: the build context, the Dockerfile's name
    ["docker build -t shop:v1 .", "docker build -t shop:v1 ./"],
    [
        "docker build -t shop:v1 .",
        "docker build -f Dockerfile -t shop:v1 .",
        "docker build --file ./Dockerfile -t shop:v1 ./",
    ],
    ["docker build app", "docker build -f app/Dockerfile app/", "docker build ./app"],
    # the compose file compose looks for by itself
    [
        "docker compose up -d",
        "docker compose -f compose.yaml up -d",
        "docker compose --file=./compose.yml up -d",
        "docker compose -f docker-compose.yml up -d",
        "docker-compose -f docker-compose.yaml up --detach",
    ],
    # a published port: TCP and every IPv4 address are the defaults
    [
        "docker run -d --name web -p 8080:8000 shop:v1",
        "docker run -d --name web -p 8080:8000/tcp shop:v1",
        "docker run -d --name web -p 0.0.0.0:8080:8000 shop:v1",
        "docker run -d --name web --publish=0.0.0.0:8080:8000/tcp shop:v1",
    ],
    # the default volume and network drivers
    [
        "docker volume create pgdata",
        "docker volume create --driver local pgdata",
        "docker volume create -d local pgdata",
    ],
    ["docker network create back", "docker network create --driver bridge back"],
]

DIFFERENT = [
    ["docker ps", "docker ps -a"],
    ["docker logs web", "docker logs -f web"],
    ["docker rm web", "docker rmi web"],
    ["docker exec web sh", "docker exec -it web sh"],
    ["docker run -p 8080:8000 shop", "docker run -p 8000:8080 shop"],
    ["docker compose down", "docker compose down -v"],
    ["docker system prune", "docker container prune"],
    # after the image, options belong to the command run in the container
    ["docker run debian ls -a", "docker run -a debian ls"],
    ["docker exec web ls -l", "docker exec -l web ls"],
    # -f means different things to different commands
    ["docker logs -f web", "docker logs --filter web"],
    # defaults are dropped only where they are the defaults
    ["docker build -t shop .", "docker build -f other.Dockerfile -t shop ."],
    ["docker build app", "docker build -f Dockerfile app"],
    ["docker compose up -d", "docker compose -f prod.yaml up -d"],
    ["docker compose up -d", "docker compose -f compose.yaml -f extra.yaml up -d"],
    ["docker run -p 8080:8000 shop", "docker run -p 8080:8000/udp shop"],
    ["docker run -p 8080:8000 shop", "docker run -p 127.0.0.1:8080:8000 shop"],
    ["docker volume create data", "docker volume create --driver nfs data"],
]


@pytest.mark.parametrize("spellings", SAME, ids=lambda group: group[0])
def test_equivalent_spellings_normalize_alike(spellings: list[str]) -> None:
    assert len({normalize(text) for text in spellings}) == 1, [
        normalize(text) for text in spellings
    ]


@pytest.mark.parametrize("pair", DIFFERENT, ids=lambda pair: f"{pair[0]} | {pair[1]}")
def test_different_commands_stay_different(pair: list[str]) -> None:
    assert normalize(pair[0]) != normalize(pair[1])


def test_canonical_form_uses_long_options_sorted() -> None:
    assert normalize("docker ps -qa") == "docker ps --all --quiet"
    assert (
        normalize("docker run -p 1:2 -d --name w img")
        == "docker run --detach --name w --publish 1:2 img"
    )


def test_run_keeps_the_command_after_the_image() -> None:
    command = parse("docker run --rm -v data:/data debian cat /data/f -n")

    assert command.path == ("run",)
    assert command.values("--volume") == ["data:/data"]
    assert command.arguments == ("debian", "cat", "/data/f", "-n")


def test_compose_options_before_the_subcommand_are_kept_apart() -> None:
    command = parse("docker compose -p shop up -d --scale web=2")

    assert command.path == ("compose", "up")
    assert command.compose_options == (("--project-name", "shop"),)
    assert command.values("--scale") == ["web=2"]


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("docker rm $(docker ps -aq)", "$(docker ps -aq)"),
        ("docker rm -f `docker ps -q`", "`docker ps -q`"),
        ('docker rm "$(docker ps -aq --filter status=exited)"', "$(docker ps -aq"),
        ("docker run debian sh -c 'echo $(date)'", "echo $(date)"),
    ],
)
def test_a_command_substitution_stays_one_word_as_written(text: str, word: str) -> None:
    command = parse(text)

    assert any(word in argument for argument in command.arguments), command
    # Its -aq belongs to the inner `docker ps`, not to `docker rm`.
    assert not command.has("--all")


def test_the_key_accepts_system_df_with_its_display_flag() -> None:
    question = BANK.get("disk-usage")
    assert question is not None
    for text in (
        "docker system df",
        "docker system df -v",
        "docker system df --verbose",
    ):
        verdict = score(question, KEYS.keys["disk-usage"], read_answer(question, text))
        assert verdict.passed, text


WRONG = [
    # (question, answer, what the feedback says, what it must not say)
    ("list-all-containers", "docker ps", "it lacks an option", "-a"),
    ("list-all-containers", "docker ps -s", "`--size` is not asked for", "--all"),
    (
        "list-all-containers",
        "docker images",
        "`docker --help` lists the commands",
        "ps",
    ),
    (
        "run-detached-port",
        "docker run -d --name app -p 8080:8000 shop:v1",
        "`app`",
        "web",
    ),
    ("exec-shell", "docker exec -it web bash", "its arguments (`web bash`)", " sh"),
    ("tail-logs", "docker logs web", "lacks an option", "--tail"),
    ("follow-logs", "docker logs -n 5 web", "`--tail` is not asked for", "-f"),
]


@pytest.mark.parametrize(("question_id", "text", "says", "hidden"), WRONG)
def test_a_wrong_command_gets_a_next_step_not_the_key(
    question_id: str, text: str, says: str, hidden: str
) -> None:
    question = BANK.get(question_id)
    assert question is not None
    key = KEYS.keys[question_id]

    verdict = score(question, key, read_answer(question, text), text)

    assert not verdict.passed
    assert verdict.wrong.startswith(f"`{text}` does not do what was asked")
    assert says in verdict.wrong
    assert "look at `docker" in verdict.wrong or "--help" in verdict.wrong
    assert hidden not in verdict.wrong.removeprefix(f"`{text}`")
    for accepted in key.commands:
        assert accepted not in verdict.wrong


def test_a_wrong_command_with_a_substitution_is_shown_as_written() -> None:
    question = BANK.get("prune-stopped")
    assert question is not None
    text = "docker rm $(docker ps -aq)"

    verdict = score(
        question, KEYS.keys["prune-stopped"], read_answer(question, text), text
    )

    assert verdict.wrong.startswith("`docker rm $(docker ps -aq)` does not do")
    assert "'" not in verdict.wrong


def test_in_practice_mode_a_wrong_command_points_at_its_help() -> None:
    question = BANK.get("list-all-containers")
    assert question is not None
    key = PRACTICE.keys["list-all-containers"]

    verdict = score(
        question, key, read_answer(question, "docker ps -s"), "docker ps -s"
    )

    assert verdict.wrong == (
        "`docker ps -s` does not do what was asked: `docker ps --help` lists what it"
        " does and its options."
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("docker rm $(docker ps", "never closes"),
        ("ps -a", "starts with `ps`"),
        ("docker", "names no docker subcommand"),
        ("docker run --name", "needs a value"),
        ("docker ps 'unclosed", "cannot be read as a command line"),
        ("docker compose", "names no compose subcommand"),
        ("docker ps --all=maybe", "takes true or false"),
    ],
)
def test_what_is_not_a_docker_command_says_why(text: str, problem: str) -> None:
    with pytest.raises(CommandError, match=problem):
        normalize(text)
