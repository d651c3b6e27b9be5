"""Docker command lines read the way the docker CLI reads them, to compare answers.

A command answer is right when it does what the key does, however it is spelled:
`docker ps -a`, `docker ps --all` and `docker container ls -a` are one command. So a
command line is split as a shell would (shlex), the management-command spelling is
mapped to the classic one (`docker container rm` to `docker rm`), short options to
their long names (`-a` to `--all`), clusters split (`-it` to `-i -t`), `--name=web` to
`--name web`, and the options sorted, since the CLI does not care about their order.
The result is one canonical string per meaning. Predict scenarios use the same parser
to run their commands, so both read a command line alike.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Option:
    """One option of a command: its canonical long name and its other spellings."""

    long: str
    short: str = ""
    #: Whether the option takes a value (`--name web`), or is a switch (`--all`).
    value: bool = False
    #: Other long names the CLI accepts for the same option.
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommandSpec:
    """A docker subcommand: its options and whether options may follow arguments."""

    options: tuple[Option, ...] = ()
    #: False for commands that pass everything after their first argument on, as
    #: `docker run IMAGE ls -a` passes `-a` to `ls`, not to docker.
    interspersed: bool = True

    def find(self, spelling: str) -> Option | None:
        for option in self.options:
            if spelling in (option.long, option.short, *option.aliases):
                return option
        return None


@dataclass(frozen=True)
class Command:
    """A command line as docker reads it: subcommand path, options and arguments."""

    #: The canonical subcommand, e.g. ("ps",) or ("compose", "up").
    path: tuple[str, ...]
    #: Options as (canonical name, value or None), in the order written.
    options: tuple[tuple[str, str | None], ...] = ()
    arguments: tuple[str, ...] = ()
    #: Options given before a compose subcommand (`docker compose -f x.yaml up`).
    compose_options: tuple[tuple[str, str | None], ...] = ()

    def canonical(self) -> str:
        """One string per meaning: options sorted, long names, values quoted."""
        words = ["docker", *self.path[:1]]
        words += flatten(sorted(self.compose_options, key=option_key))
        words += list(self.path[1:])
        words += flatten(sorted(self.options, key=option_key))
        words += [shlex.quote(argument) for argument in self.arguments]
        return " ".join(words)

    def values(self, name: str) -> list[str]:
        """Return every value given to option `name` (canonical long name)."""
        return [value or "" for option, value in self.options if option == name]

    def has(self, name: str) -> bool:
        return any(option == name for option, _ in self.options)


class CommandError(ValueError):
    """The text is not a docker command line; the message says what is wrong."""


def option_key(option: tuple[str, str | None]) -> tuple[str, str]:
    return option[0], option[1] or ""


def flatten(options: list[tuple[str, str | None]]) -> list[str]:
    words = []
    for name, value in options:
        words.append(name)
        if value is not None:
            words.append(shlex.quote(value))
    return words


def _switch(long: str, short: str = "", *aliases: str) -> Option:
    return Option(long, short, False, aliases)


def _valued(long: str, short: str = "", *aliases: str) -> Option:
    return Option(long, short, True, aliases)


_FORMAT = _valued("--format")
_FILTER = _valued("--filter", "-f")
_QUIET = _switch("--quiet", "-q")
_FORCE = _switch("--force", "-f")
_RUN_OPTIONS = (
    _switch("--detach", "-d"),
    _switch("--interactive", "-i"),
    _switch("--tty", "-t"),
    _switch("--rm"),
    _switch("--init"),
    _switch("--read-only"),
    _switch("--privileged"),
    _switch("--publish-all", "-P"),
    _valued("--name"),
    _valued("--publish", "-p"),
    _valued("--volume", "-v"),
    _valued("--mount"),
    _valued("--env", "-e"),
    _valued("--env-file"),
    _valued("--workdir", "-w"),
    _valued("--user", "-u"),
    _valued("--network", "", "--net"),
    _valued("--entrypoint"),
    _valued("--hostname", "-h"),
    _valued("--restart"),
    _valued("--memory", "-m"),
    _valued("--cpus"),
    _valued("--label", "-l"),
    _valued("--pull"),
    _valued("--platform"),
    _valued("--health-cmd"),
    _valued("--health-interval"),
    _valued("--stop-timeout"),
)

#: Every subcommand the quiz and its scenarios know, by canonical path.
SPECS: dict[tuple[str, ...], CommandSpec] = {
    ("ps",): CommandSpec(
        (
            _switch("--all", "-a"),
            _QUIET,
            _switch("--size", "-s"),
            _switch("--latest", "-l"),
            _switch("--no-trunc"),
            _valued("--last", "-n"),
            _FILTER,
            _FORMAT,
        )
    ),
    ("images",): CommandSpec(
        (
            _switch("--all", "-a"),
            _QUIET,
            _switch("--digests"),
            _switch("--no-trunc"),
            _FILTER,
            _FORMAT,
        )
    ),
    ("run",): CommandSpec(_RUN_OPTIONS, interspersed=False),
    ("create",): CommandSpec(_RUN_OPTIONS, interspersed=False),
    ("exec",): CommandSpec(
        (
            _switch("--detach", "-d"),
            _switch("--interactive", "-i"),
            _switch("--tty", "-t"),
            _switch("--privileged"),
            _valued("--env", "-e"),
            _valued("--user", "-u"),
            _valued("--workdir", "-w"),
        ),
        interspersed=False,
    ),
    ("logs",): CommandSpec(
        (
            _switch("--follow", "-f"),
            _switch("--timestamps", "-t"),
            _switch("--details"),
            _valued("--tail", "-n"),
            _valued("--since"),
            _valued("--until"),
        )
    ),
    ("stop",): CommandSpec(
        (_valued("--time", "-t", "--timeout"), _valued("--signal", "-s"))
    ),
    ("restart",): CommandSpec(
        (_valued("--time", "-t", "--timeout"), _valued("--signal", "-s"))
    ),
    ("start",): CommandSpec(
        (_switch("--attach", "-a"), _switch("--interactive", "-i"))
    ),
    ("kill",): CommandSpec((_valued("--signal", "-s"),)),
    ("rm",): CommandSpec((_FORCE, _switch("--volumes", "-v"), _switch("--link", "-l"))),
    ("rmi",): CommandSpec((_FORCE, _switch("--no-prune"))),
    ("build",): CommandSpec(
        (
            _valued("--tag", "-t"),
            _valued("--file", "-f"),
            _switch("--no-cache"),
            _switch("--pull"),
            _QUIET,
            _valued("--build-arg"),
            _valued("--target"),
            _valued("--network"),
            _valued("--label"),
            _valued("--progress"),
            _valued("--platform"),
        )
    ),
    ("pull",): CommandSpec(
        (_switch("--all-tags", "-a"), _QUIET, _valued("--platform"))
    ),
    ("push",): CommandSpec((_switch("--all-tags", "-a"), _QUIET)),
    ("tag",): CommandSpec(),
    ("login",): CommandSpec(
        (
            _valued("--username", "-u"),
            _valued("--password", "-p"),
            _switch("--password-stdin"),
        )
    ),
    ("logout",): CommandSpec(),
    ("history",): CommandSpec(
        (
            _switch("--human", "-H"),
            _QUIET,
            _switch("--no-trunc"),
            _FORMAT,
        )
    ),
    ("inspect",): CommandSpec(
        (_valued("--format", "-f"), _switch("--size", "-s"), _valued("--type"))
    ),
    ("top",): CommandSpec(),
    ("port",): CommandSpec(),
    ("diff",): CommandSpec(),
    ("wait",): CommandSpec(),
    ("pause",): CommandSpec(),
    ("unpause",): CommandSpec(),
    ("rename",): CommandSpec(),
    ("attach",): CommandSpec(),
    ("cp",): CommandSpec((_switch("--archive", "-a"), _switch("--follow-link", "-L"))),
    ("commit",): CommandSpec(
        (
            _valued("--message", "-m"),
            _valued("--author", "-a"),
            _valued("--change", "-c"),
            _switch("--pause", "-p"),
        )
    ),
    ("stats",): CommandSpec((_switch("--all", "-a"), _switch("--no-stream"))),
    ("save",): CommandSpec((_valued("--output", "-o"),)),
    ("load",): CommandSpec((_valued("--input", "-i"), _QUIET)),
    ("info",): CommandSpec((_valued("--format", "-f"),)),
    ("version",): CommandSpec((_valued("--format", "-f"),)),
    ("search",): CommandSpec((_valued("--limit"), _FILTER)),
    ("events",): CommandSpec((_FILTER, _valued("--since"), _valued("--until"))),
    ("container", "prune"): CommandSpec((_FORCE, _valued("--filter"))),
    ("image", "prune"): CommandSpec(
        (_switch("--all", "-a"), _FORCE, _valued("--filter"))
    ),
    ("builder", "prune"): CommandSpec(
        (_switch("--all", "-a"), _FORCE, _valued("--filter"))
    ),
    ("volume", "create"): CommandSpec(
        (_valued("--driver", "-d"), _valued("--label"), _valued("--opt", "-o"))
    ),
    ("volume", "ls"): CommandSpec((_QUIET, _FILTER, _FORMAT)),
    ("volume", "rm"): CommandSpec((_FORCE,)),
    ("volume", "inspect"): CommandSpec((_valued("--format", "-f"),)),
    ("volume", "prune"): CommandSpec(
        (_switch("--all", "-a"), _FORCE, _valued("--filter"))
    ),
    ("network", "create"): CommandSpec(
        (
            _valued("--driver", "-d"),
            _switch("--internal"),
            _valued("--subnet"),
            _valued("--label"),
        )
    ),
    ("network", "ls"): CommandSpec((_QUIET, _FILTER, _FORMAT, _switch("--no-trunc"))),
    ("network", "rm"): CommandSpec((_FORCE,)),
    ("network", "inspect"): CommandSpec((_valued("--format", "-f"),)),
    ("network", "connect"): CommandSpec((_valued("--alias"), _valued("--ip"))),
    ("network", "disconnect"): CommandSpec((_FORCE,)),
    ("network", "prune"): CommandSpec((_FORCE, _valued("--filter"))),
    ("system", "df"): CommandSpec((_switch("--verbose", "-v"), _FORMAT)),
    ("system", "prune"): CommandSpec(
        (
            _switch("--all", "-a"),
            _FORCE,
            _switch("--volumes"),
            _valued("--filter"),
        )
    ),
    ("compose", "up"): CommandSpec(
        (
            _switch("--detach", "-d"),
            _switch("--build"),
            _switch("--no-build"),
            _switch("--wait"),
            _switch("--force-recreate"),
            _switch("--no-deps"),
            _switch("--remove-orphans"),
            _switch("--renew-anon-volumes", "-V"),
            _switch("--abort-on-container-exit"),
            _switch("--no-start"),
            _valued("--scale"),
            _valued("--pull"),
            _valued("--timeout", "-t"),
        )
    ),
    ("compose", "down"): CommandSpec(
        (
            _switch("--volumes", "-v"),
            _switch("--remove-orphans"),
            _valued("--rmi"),
            _valued("--timeout", "-t"),
        )
    ),
    ("compose", "ps"): CommandSpec(
        (
            _switch("--all", "-a"),
            _QUIET,
            _switch("--services"),
            _FORMAT,
            _valued("--status"),
            _valued("--filter"),
        )
    ),
    ("compose", "logs"): CommandSpec(
        (
            _switch("--follow", "-f"),
            _switch("--timestamps", "-t"),
            _switch("--no-color"),
            _valued("--tail", "-n"),
            _valued("--since"),
        )
    ),
    ("compose", "exec"): CommandSpec(
        (
            _switch("--detach", "-d"),
            _switch("--no-TTY", "-T", "--no-tty"),
            _switch("--privileged"),
            _valued("--env", "-e"),
            _valued("--user", "-u"),
            _valued("--workdir", "-w"),
            _valued("--index"),
        ),
        interspersed=False,
    ),
    ("compose", "run"): CommandSpec(
        (
            _switch("--rm"),
            _switch("--detach", "-d"),
            _switch("--no-TTY", "-T", "--no-tty"),
            _switch("--no-deps"),
            _switch("--build"),
            _valued("--env", "-e"),
            _valued("--name"),
            _valued("--publish", "-p"),
            _valued("--volume", "-v"),
            _valued("--entrypoint"),
            _valued("--user", "-u"),
            _valued("--workdir", "-w"),
        ),
        interspersed=False,
    ),
    ("compose", "build"): CommandSpec(
        (_switch("--no-cache"), _switch("--pull"), _QUIET)
    ),
    ("compose", "config"): CommandSpec(
        (_QUIET, _switch("--services"), _switch("--volumes"))
    ),
    ("compose", "stop"): CommandSpec((_valued("--timeout", "-t"),)),
    ("compose", "restart"): CommandSpec((_valued("--timeout", "-t"),)),
    ("compose", "rm"): CommandSpec(
        (_FORCE, _switch("--stop", "-s"), _switch("--volumes", "-v"))
    ),
    ("compose", "start"): CommandSpec(),
    ("compose", "pull"): CommandSpec((_QUIET,)),
    ("compose", "push"): CommandSpec(),
    ("compose", "top"): CommandSpec(),
    ("compose", "images"): CommandSpec((_QUIET,)),
    ("compose", "ls"): CommandSpec((_switch("--all", "-a"), _QUIET)),
}

#: Other spellings of subcommands: the management-command forms and their aliases.
ALIASES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("container", "ls"): ("ps",),
    ("container", "list"): ("ps",),
    ("container", "ps"): ("ps",),
    ("container", "rm"): ("rm",),
    ("container", "remove"): ("rm",),
    ("image", "ls"): ("images",),
    ("image", "list"): ("images",),
    ("image", "rm"): ("rmi",),
    ("image", "remove"): ("rmi",),
    ("image", "build"): ("build",),
    ("builder", "build"): ("build",),
    ("buildx", "build"): ("build",),
    ("image", "inspect"): ("inspect",),
    ("container", "inspect"): ("inspect",),
    ("system", "info"): ("info",),
    ("system", "events"): ("events",),
    ("volume", "list"): ("volume", "ls"),
    ("volume", "remove"): ("volume", "rm"),
    ("network", "list"): ("network", "ls"),
    ("network", "remove"): ("network", "rm"),
    ("compose", "remove"): ("compose", "rm"),
}
_CONTAINER_VERBS = (
    "run create exec logs stop start restart kill top port diff wait pause unpause"
    " rename attach cp commit stats"
)
for _verb in _CONTAINER_VERBS.split():
    ALIASES[("container", _verb)] = (_verb,)
for _verb in ("pull", "push", "tag", "history", "save", "load"):
    ALIASES[("image", _verb)] = (_verb,)

_COMPOSE_OPTIONS = CommandSpec(
    (
        _valued("--file", "-f"),
        _valued("--project-name", "-p"),
        _valued("--project-directory"),
        _valued("--profile"),
        _valued("--env-file"),
    )
)
_GROUPS = frozenset(
    {
        "container",
        "image",
        "volume",
        "network",
        "system",
        "builder",
        "buildx",
        "compose",
    }
)


@dataclass
class _Reader:
    """Walks the words of a command line, reading options as the docker CLI does."""

    words: list[str]
    position: int = 0
    options: list[tuple[str, str | None]] = field(default_factory=list)
    arguments: list[str] = field(default_factory=list)

    def read(self, spec: CommandSpec, stop_at_argument: bool = False) -> None:
        """Read options and arguments; stop at the first argument when asked."""
        while self.position < len(self.words):
            word = self.words[self.position]
            self.position += 1
            if word == "--":
                self.arguments += self.words[self.position :]
                self.position = len(self.words)
                return
            if word.startswith("--") and len(word) > 2:
                self.read_long(spec, word)
            elif word.startswith("-") and len(word) > 1:
                self.read_short(spec, word)
            else:
                self.arguments.append(word)
                if stop_at_argument or not spec.interspersed:
                    if not spec.interspersed:
                        self.arguments += self.words[self.position :]
                        self.position = len(self.words)
                    return

    def read_long(self, spec: CommandSpec, word: str) -> None:
        name, equals, value = word.partition("=")
        option = spec.find(name)
        if option is None:
            # An option this table does not know: keep it as written.
            self.options.append((name, value if equals else None))
            return
        if option.value:
            if not equals:
                value = self.take_value(name)
            self.options.append((option.long, value))
        elif not equals or value.lower() in ("true", "1", ""):
            self.options.append((option.long, None))
        elif value.lower() not in ("false", "0"):
            raise CommandError(f"`{word}` is a switch; it takes true or false")

    def read_short(self, spec: CommandSpec, word: str) -> None:
        letters = word[1:]
        for index, letter in enumerate(letters):
            option = spec.find("-" + letter)
            if option is None:
                self.options.append(("-" + letter, None))
                continue
            if not option.value:
                self.options.append((option.long, None))
                continue
            rest = letters[index + 1 :].removeprefix("=")
            value = rest if rest else self.take_value("-" + letter)
            self.options.append((option.long, value))
            return

    def take_value(self, name: str) -> str:
        if self.position >= len(self.words):
            raise CommandError(f"the option {name} needs a value")
        value = self.words[self.position]
        self.position += 1
        return value


def split_words(text: str) -> list[str]:
    """Split a command line as a POSIX shell would, without a prompt or `sudo`."""
    stripped = text.strip()
    if stripped.startswith("$ "):
        stripped = stripped[2:]
    try:
        words = shlex.split(stripped)
    except ValueError as error:
        raise CommandError(f"it cannot be read as a command line: {error}") from None
    if words and words[0] == "sudo":
        words = words[1:]
    if not words:
        raise CommandError("it is empty")
    return words


def parse(text: str) -> Command:
    """Read a docker command line into its canonical parts; raise CommandError."""
    words = split_words(text)
    first = words[0].lower()
    if first == "docker-compose":
        words = ["docker", "compose", *words[1:]]
    elif first != "docker":
        raise CommandError(
            f"it starts with `{words[0]}`; a Docker command starts with `docker`"
        )
    rest = words[1:]
    if not rest:
        raise CommandError("it names no docker subcommand (`docker ps`, ...)")

    compose_options: list[tuple[str, str | None]] = []
    if rest[0] == "compose":
        reader = _Reader(rest[1:])
        reader.read(_COMPOSE_OPTIONS, stop_at_argument=True)
        compose_options = reader.options
        if not reader.arguments:
            raise CommandError("it names no compose subcommand (`up`, `down`, ...)")
        path: tuple[str, ...] = ("compose", reader.arguments[0])
        rest = rest[1 + reader.position :]
    elif rest[0] in _GROUPS and len(rest) > 1:
        path = (rest[0], rest[1])
        rest = rest[2:]
    else:
        path = (rest[0],)
        rest = rest[1:]
    path = ALIASES.get(path, path)

    spec = SPECS.get(path, CommandSpec())
    reader = _Reader(rest)
    reader.read(spec)
    return Command(
        path, tuple(reader.options), tuple(reader.arguments), tuple(compose_options)
    )


def normalize(text: str) -> str:
    """Return the canonical spelling of a docker command line; raise CommandError."""
    return parse(text).canonical()
