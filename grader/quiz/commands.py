"""Docker command lines read the way the docker CLI reads them, to compare answers.

A command answer is right when it does what the key does, however it is spelled:
`docker ps -a`, `docker ps --all` and `docker container ls -a` are one command. So a
command line is split as a shell would (shlex), the management-command spelling is
mapped to the classic one (`docker container rm` to `docker rm`), short options to
their long names (`-a` to `--all`), clusters split (`-it` to `-i -t`), `--name=web` to
`--name web`, and the options sorted, since the CLI does not care about their order.
The result is one canonical string per meaning. Predict scenarios use the same parser
to run their commands, so both read a command line alike. Comparing answers also
drops what only restates a default (`-f Dockerfile`, `--driver local`, a published
port's `/tcp`), which the scenarios have no need to do.
"""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass, field, replace


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
    """Split a command line as a POSIX shell would, without a prompt or `sudo`.

    A command substitution, `$(...)` or backquotes, stays one word as written: the
    shell would run it, and splitting inside it would garble what is shown back.
    """
    stripped = text.strip()
    if stripped.startswith("$ "):
        stripped = stripped[2:]
    stripped, substitutions = hide_substitutions(stripped)
    try:
        words = shlex.split(stripped)
    except ValueError as error:
        raise CommandError(f"it cannot be read as a command line: {error}") from None
    for index, hidden in enumerate(substitutions):
        words = [word.replace(_MARK.format(index), hidden) for word in words]
    if words and words[0] == "sudo":
        words = words[1:]
    if not words:
        raise CommandError("it is empty")
    return words


#: Stands in for a command substitution while the line is split; no answer holds NUL.
_MARK = "\0{}\0"


def hide_substitutions(text: str) -> tuple[str, list[str]]:
    """Replace each `$(...)` and `...` in `text` by a mark; return both."""
    found: list[str] = []
    out: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith("$(", index):
            depth, end = 0, index + 1
            while end < len(text):
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                if depth == 0:
                    break
                end += 1
            if depth:
                raise CommandError(f"`{text[index:]}` opens `$(` and never closes it")
            found.append(text[index : end + 1])
        elif text[index] == "`":
            end = text.find("`", index + 1)
            if end < 0:
                raise CommandError(
                    f"`{text[index:]}` opens a backquote and never closes it"
                )
            found.append(text[index : end + 1])
        else:
            out.append(text[index])
            index += 1
            continue
        out.append(_MARK.format(len(found) - 1))
        index = end + 1
    return "".join(out), found


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
    return settle_defaults(parse(text)).canonical()


#: The files `docker compose` looks for when no `-f` is given, in the project folder.
COMPOSE_FILES = (
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
)
#: Option values that only restate the default, by subcommand.
_DEFAULT_VALUES: dict[tuple[str, ...], dict[str, str]] = {
    ("volume", "create"): {"--driver": "local"},
    ("network", "create"): {"--driver": "bridge"},
}


def settle_defaults(command: Command) -> Command:
    """Drop what only restates Docker's defaults, so that answers compare by meaning.

    `docker build -f Dockerfile ./` is `docker build .`; `docker compose -f
    compose.yaml up` is `docker compose up` (any of the names compose looks for);
    `-p 0.0.0.0:8080:8000/tcp` is `-p 8080:8000`; `docker volume create --driver
    local` is `docker volume create`.
    """
    options = list(command.options)
    arguments = list(command.arguments)
    compose_options = list(command.compose_options)
    if command.path == ("build",) and len(arguments) == 1:
        context = arguments[0]
        if "://" not in context and context != "-":
            context = posixpath.normpath(context)
            arguments = [context]
            default_file = posixpath.normpath(posixpath.join(context, "Dockerfile"))
            options = [
                (name, value)
                for name, value in options
                if not (
                    name == "--file" and posixpath.normpath(value or "") == default_file
                )
            ]
    defaults = _DEFAULT_VALUES.get(command.path, {})
    options = [
        (name, value)
        for name, value in options
        if name not in defaults or defaults[name] != value
    ]
    if command.path in (("run",), ("create",), ("compose", "run")):
        options = [
            (name, settle_port(value) if name == "--publish" and value else value)
            for name, value in options
        ]
    files = [value for name, value in compose_options if name == "--file"]
    if len(files) == 1 and posixpath.normpath(files[0] or "") in COMPOSE_FILES:
        compose_options = [item for item in compose_options if item[0] != "--file"]
    return replace(
        command,
        options=tuple(options),
        arguments=tuple(arguments),
        compose_options=tuple(compose_options),
    )


def settle_port(value: str) -> str:
    """Write a published port without its defaults: all addresses, TCP."""
    value = value.removesuffix("/tcp")
    # `0.0.0.0:8080:8000` binds every IPv4 address, as `8080:8000` does.
    if value.startswith("0.0.0.0:") and value.count(":") == 2:
        value = value.removeprefix("0.0.0.0:")
    return value


def next_step(given: Command, accepted: list[Command]) -> str:
    """Say what a wrong command lacks or has extra, without writing the key out.

    With no accepted command to compare (practice mode knows only digests), point at
    the subcommand's help.
    """
    name = " ".join(given.path)
    help_text = f"`docker {name} --help`"
    alike = [command for command in accepted if command.path == given.path]
    if accepted and not alike:
        return (
            f"`docker {name}` is not the command this needs; `docker --help` lists"
            " the commands, and the question names what it must do"
        )
    if not alike:
        return f"{help_text} lists what it does and its options"
    gaps = min((differences(given, command) for command in alike), key=len)
    if not gaps:
        return f"look at {help_text}"
    return "; ".join(gaps) + f": look at {help_text}"


def differences(given: Command, key: Command) -> list[str]:
    """List what `given` lacks or has extra compared with `key`, naming only its own."""
    found: list[str] = []
    mine = dict(given.compose_options + given.options)
    theirs = dict(key.compose_options + key.options)
    missing = [option for option in theirs if option not in mine]
    if missing:
        found.append(
            "it lacks an option the question asks for"
            if len(missing) == 1
            else f"it lacks {len(missing)} options the question asks for"
        )
    extra = [option for option in mine if option not in theirs]
    if extra:
        listed = ", ".join(f"`{option}`" for option in extra)
        found.append(f"{listed} {'is' if len(extra) == 1 else 'are'} not asked for")
    for option, value in mine.items():
        if option in theirs and value != theirs[option]:
            found.append(f"the value of {option}, `{value}`, is not the one asked for")
    if given.arguments != key.arguments:
        if len(given.arguments) < len(key.arguments):
            found.append("it lacks an argument (a name the question gives)")
        elif len(given.arguments) > len(key.arguments):
            found.append("it has more arguments than the question asks for")
        else:
            shown = " ".join(given.arguments)
            found.append(
                f"its arguments (`{shown}`) are not the ones asked for; write names"
                " exactly as the question gives them, in the order the command takes"
            )
    return found
