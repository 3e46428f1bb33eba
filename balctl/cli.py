"""The `balctl` command line: parse options, call the library, render. Nothing else.

Only Typer is imported at start-up; YAML, requests, Rich and cryptography are imported by
the commands that need them, so `balctl --version` and completions stay fast.
"""

from __future__ import annotations

import copy
import functools
import importlib
import inspect
import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from typer._click.core import ParameterSource  # Typer vendors Click; the pin keeps this path
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer._click.types import ParamType
from typer.core import TyperGroup

from balctl import __version__, runner
from balctl.errors import BadResponse, BalctlError, ExitCode, InternalError, UsageError
from balctl.exchanges import EXCHANGES, Exchange, Selection
from balctl.messages import guard_streams, next_step, report_error, stderr_line
from balctl.runner import DEFAULT_TIMEOUT, RunOptions

if TYPE_CHECKING:
    from decimal import Decimal


class Output(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    prometheus = "prometheus"


class HistoryOutput(str, Enum):
    """`balctl history` prints series: no Prometheus document (that is a snapshot's)."""

    table = "table"
    json = "json"
    csv = "csv"


class BalctlGroup(TyperGroup):
    """The single top-level error handler (like httpie's `core.main`).

    Every `BalctlError` becomes one stderr line (+ `hint:`) and its exit code; anything
    unexpected is a bug: one line and exit 1, the traceback only with BALCTL_DEBUG=1.
    """

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        """Parsing `balctl`'s own options (`balctl --bogus`) happens here, before invoke."""
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except Exception as exc:
            if _is_usage_error(exc):
                raise _usage_exit(exc) from None
            raise

    def _main_shell_completion(self, ctx_args: Any, prog_name: str, complete_var: str | None = None) -> None:
        """A `<TAB>` request: answered by Typer's shell classes, taught `--opt=value` first."""
        name = complete_var or f"_{prog_name}_COMPLETE".replace("-", "_").upper()
        if os.environ.get(name):
            from balctl.completion import teach_the_equals_form

            teach_the_equals_form()
        super()._main_shell_completion(ctx_args, prog_name, complete_var)

    def invoke(self, ctx: typer.Context) -> Any:
        guard_streams()  # `balctl demo >&-`: a closed stdout or stderr is not a crash
        try:
            return super().invoke(ctx)
        except BalctlError as exc:
            report_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(ExitCode.OK) from None
        except KeyboardInterrupt:
            # Ctrl-C: leave now, without interpreter shutdown racing the fetch threads still
            # waiting on an exchange. Output is written in single writes, so no half record
            # can be left behind.
            sys.stderr.flush()
            os._exit(ExitCode.INTERRUPTED)
        except Exception as exc:
            if isinstance(exc, (typer.Exit, typer.Abort)):
                raise
            if _is_usage_error(exc):
                raise _usage_exit(exc) from None
            report_error(InternalError.from_exception(exc))
            raise typer.Exit(ExitCode.INTERNAL) from None


def _is_usage_error(exc: Exception) -> bool:
    """Click's own errors (bad option, bad value, unknown command), but not the help text
    that `balctl` alone shows through an exception too."""
    return isinstance(exc, ClickException) and not isinstance(exc, NoArgsIsHelpError)


def _usage_exit(exc: Any) -> typer.Exit:
    """One line and a hint, like every other balctl error, instead of Click's usage box."""
    stderr_line(f"balctl: {' '.join(exc.format_message().split())}")
    command = getattr(getattr(exc, "ctx", None), "command_path", None)
    if command:
        stderr_line(f"hint: {command} --help")
    return typer.Exit(getattr(exc, "exit_code", ExitCode.USAGE))


app = typer.Typer(
    name="balctl",
    cls=BalctlGroup,
    help="Inspect margin, loan, interest and available balances of OKX, XT.com lever and "
    "CoinSwitch PRO futures accounts, exactly as the exchange reports them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: Rich costs more to import than Typer itself (issue 16)
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"balctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """balctl: balances as the exchange reported them, as a table, JSON or CSV."""


def _complete_profile(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion for --profile; the work (and its imports) lives in balctl.completion.

    Never raises: an error or traceback would be printed into the user's command line.
    """
    try:
        from balctl.completion import complete_profiles

        return complete_profiles(ctx, incomplete)
    except Exception:  # noqa: BLE001
        return []


def _complete_symbol(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion for --symbol: the chosen XT profile's `symbols:`."""
    try:
        from balctl.completion import complete_symbols

        return complete_symbols(ctx, incomplete)
    except Exception:  # noqa: BLE001
        return []


class Seconds(ParamType):
    """A SECONDS option read by `check` ("module:function"), which knows its range and reads
    only ASCII digits (balctl.numeric): `float()` would take `٣`, `inf` and `nan`.

    Only a value from the command line or the environment is read; the default is ours. The
    module is imported then, so `--help` and completion import none of them.
    """

    name = "seconds"

    def __init__(self, check: str) -> None:
        self.check = check

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        source = ctx.get_parameter_source(param.name) if ctx is not None and param is not None else None
        if source is ParameterSource.DEFAULT:
            return value
        module, _, function = self.check.partition(":")
        return getattr(importlib.import_module(module), function)(value, option=_option_named(param, source))


def _option_named(param: Any, source: Any) -> str:
    """`--timeout`, or `BALCTL_TIMEOUT (--timeout)` when the value came from that variable."""
    option = max(getattr(param, "opts", None) or ["the option"], key=len)
    if source is ParameterSource.ENVIRONMENT and getattr(param, "envvar", None):
        return f"{param.envvar} ({option})"
    return option


# Options every fetching command takes (docs/contract.md, Options and precedence).
ProfileOpt = Annotated[
    Optional[str],
    typer.Option("--profile", "-p", envvar="BALCTL_PROFILE", show_default=False,
                 autocompletion=_complete_profile, metavar="NAME",
                 help="Profile name (default: the profile named like the exchange, or its only profile)."),
]
ConfigOpt = Annotated[
    Optional[Path],
    typer.Option("--config", "-c", envvar="BALCTL_CONFIG", show_default=False, dir_okay=False, metavar="PATH",
                 help="Profile file (default: $XDG_CONFIG_HOME/balctl/config.yaml)."),
]
OutputOpt = Annotated[
    Output, typer.Option("--output", "-o", envvar="BALCTL_OUTPUT", case_sensitive=False, help="Output format.")
]
AppendOpt = Annotated[
    Optional[Path],
    typer.Option("--append", metavar="FILE", dir_okay=False,
                 help="Also append the CSV rows to FILE (header only when it is new or empty)."),
]
HideZeroOpt = Annotated[bool, typer.Option("--hide-zero", help="Leave out rows whose every amount is zero or null.")]
TimeoutOpt = Annotated[
    float, typer.Option("--timeout", envvar="BALCTL_TIMEOUT", click_type=Seconds("balctl.http:check_timeout"),
                        metavar="SECONDS", help="Bound on each request as a whole, in seconds (0.1 to 600).")
]
RawOpt = Annotated[bool, typer.Option("--raw", help="JSON only: add the exchange's untouched response(s) under \"raw\".")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log each request to stderr (secrets redacted).")]
RecordOpt = Annotated[
    Optional[bool],
    typer.Option("--record/--no-record", show_default=False,
                 help="Also record the run in the history database (default: the profile file's 'record:')."),
]
DbOpt = Annotated[
    Optional[Path],
    typer.Option("--db", envvar="BALCTL_DB", show_default=False, dir_okay=False, metavar="PATH",
                 help="History database (default: $XDG_DATA_HOME/balctl/history.sqlite)."),
]
AlertOpt = Annotated[
    Optional[list[str]],
    typer.Option("--alert", metavar="EXPR", show_default=False,
                 help="Exit 7 and say so on stderr when [ASSET.]FIELD OP NUMBER holds, e.g. 'margin_ratio < 3' "
                      "or 'BTC.loan > 1' (repeatable; added to a profile's 'alerts:'). Exit 7 wins over 6."),
]
WatchOpt = Annotated[
    Optional[float],
    typer.Option("--watch", "-w", click_type=Seconds("balctl.watch:watch_seconds"), metavar="SECONDS",
                 show_default=False,
                 help="Fetch again every SECONDS (2 to 86400, a day) until Ctrl-C: redrawn in place on a "
                      "terminal, NDJSON / CSV rows / tables in turn elsewhere."),
]


class Sort(str, Enum):
    value = "value"
    asset = "asset"
    total = "total"
    loan = "loan"


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


# Which rows (every output format) and how the table shows them (issue 10).
AssetOpt = Annotated[
    Optional[str],
    typer.Option("--asset", metavar="BTC,ETH", show_default=False,
                 help="Only rows of these assets, in every output format (OKX's --ccy still narrows the request)."),
]
MinValueOpt = Annotated[
    Optional[str],
    typer.Option("--min-value", metavar="USD", show_default=False,
                 help="Leave out rows worth less than USD (a plain amount such as 10 or 0.5); rows without "
                      "a USD value are kept."),
]
SortOpt = Annotated[
    Sort, typer.Option("--sort", case_sensitive=False,
                       help="Table row order: value (USD value, highest first; else the exchange's order), "
                            "asset, total or loan (highest first).")
]
ColumnsOpt = Annotated[
    Optional[str],
    typer.Option("--columns", metavar="LIST|all", show_default=False,
                 help="Table columns, e.g. asset,total,available,loan (default: what fits the terminal, "
                      "the rest named in a footnote); 'all': every column, however wide."),
]
DigitsOpt = Annotated[
    Optional[str],
    typer.Option("--digits", metavar="N|all", show_default=False,
                 help="Table: decimal places of asset amounts (0 to 30; default 8, half-even; USD values show cents); "
                      "'all': the exchange's exact digits. JSON and CSV are always exact."),
]
ColorOpt = Annotated[
    Color, typer.Option("--color", case_sensitive=False,
                        help="auto: on a terminal, unless NO_COLOR is set (FORCE_COLOR forces it); always; never.")
]


COMMON_PARAMETERS = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
    for name, annotation, default in (
        ("config", ConfigOpt, None),
        ("output", OutputOpt, Output.table),
        ("append", AppendOpt, None),
        ("hide_zero", HideZeroOpt, False),
        ("timeout", TimeoutOpt, DEFAULT_TIMEOUT),
        ("raw", RawOpt, False),
        ("verbose", VerboseOpt, False),
        ("record", RecordOpt, None),
        ("db", DbOpt, None),
        ("alert", AlertOpt, None),
        ("watch", WatchOpt, None),
        ("asset", AssetOpt, None),
        ("min_value", MinValueOpt, None),
        ("sort", SortOpt, Sort.value),
        ("columns", ColumnsOpt, None),
        ("digits", DigitsOpt, None),
        ("color", ColorOpt, Color.auto),
    )
]


def common_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give a fetching command the COMMON options, delivered as one `options: RunOptions`.

    Typer reads a command's options from its signature, so the shared ones are spliced
    into the signature here rather than repeated on every command.
    """
    own = inspect.signature(command, eval_str=True)
    kept = [parameter for name, parameter in own.parameters.items() if name != "options"]
    signature = own.replace(parameters=[*kept, *COMMON_PARAMETERS])

    @functools.wraps(command)
    def with_common(**given: Any) -> None:
        common = {p.name: given.pop(p.name) for p in COMMON_PARAMETERS}
        command(options=run_options(**common, command=command.__name__.rstrip("_")), **given)

    with_common.__signature__ = signature  # type: ignore[attr-defined]
    with_common.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
    return with_common


def run_options(*, output: Output = Output.table, alert: list[str] | None = None, asset: str | None = None,
                min_value: str | None = None, sort: Sort = Sort.value, columns: str | None = None,
                digits: str | None = None, color: Color = Color.auto, **rest: Any) -> RunOptions:
    """The command line's values as the library's `RunOptions`; --alert expressions and the
    table options are parsed here, so a typo is exit 2 before any request."""
    parsed = ()
    if alert:
        from balctl.alerts import parse_all

        parsed = parse_all(alert)
    from balctl.render import TableOptions, parse_columns

    try:
        chosen, every = parse_columns(columns) if columns is not None else ((), False)
        places = {} if digits is None else {"digits": _digits(digits)}
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    table = TableOptions(sort=sort.value, columns=chosen, every_column=every, color=color.value, **places)
    return RunOptions(output=output.value, alerts=parsed, assets=split_codes(asset), min_value=_usd(min_value), table=table, **rest)


def _digits(text: str) -> int | None:
    """--digits, read by the table's number module (imported only when the option is given)."""
    from balctl.render.numbers import parse_digits

    return parse_digits(text)


def _usd(text: str | None) -> Decimal | None:
    """--min-value: a non-negative amount of USD, read by the rule for exchange amounts
    (ASCII digits, finite, at most model.MAX_PLACES digits either side of the point)."""
    if text is None:
        return None
    from balctl.model import amount  # not at start-up: --help and completion need no Decimal
    from balctl.numeric import shown

    try:
        value = amount(text)
    except BadResponse:
        value = None
    if value is None or value < 0:
        raise UsageError(f"--min-value takes an amount in USD such as 10 or 0.5, got {shown(text)}")
    return value


def _examples(lines: tuple[str, ...]) -> str:
    return "Examples:\n\n" + "\n\n".join(f"  {line}" for line in lines)


def _add_exchange_command(name: str, entry: Exchange) -> None:
    """`balctl <exchange>`: one command per registry entry, with its narrowing option."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = []
    option = entry.option
    if option is not None:
        completion = _complete_symbol if option.field == "symbols" else None
        annotation = Annotated[Optional[str], typer.Option(option.flag, metavar=option.metavar, help=option.help,
                                                           autocompletion=completion)]
        parameters.append(inspect.Parameter("narrow", keyword, annotation=annotation, default=None))
    parameters.append(inspect.Parameter("profile", keyword, annotation=ProfileOpt, default=None))
    parameters.append(inspect.Parameter("options", keyword, annotation=RunOptions))

    def command(*, profile: str | None = None, narrow: str | None = None, options: RunOptions) -> None:
        selection = Selection(**{option.field: split_codes(narrow)}) if option else Selection()
        _run_exchange(name, profile, selection, options)

    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__doc__ = entry.help
    command.__name__ = name
    app.command(name, epilog=_examples(entry.examples))(common_options(command))


for _name, _entry in EXCHANGES.items():
    _add_exchange_command(_name, _entry)


@app.command(
    "all",
    epilog="Examples:\n\n  balctl all\n\n  balctl all -p okx -p okx-sub -o json | jq '.accounts[].summary'\n\n"
    "  cron, hourly:  0 * * * * balctl all -o csv --append $HOME/balances.csv > /dev/null\n\n"
    "  balctl all -w 30   (refreshed in place every 30 s; -o json: one document per line)",
)
@common_options
def all_(
    profile: Annotated[
        Optional[list[str]],
        typer.Option("--profile", "-p", show_default=False,  # not BALCTL_PROFILE: `all` means all
                     autocompletion=_complete_profile, metavar="NAME",
                     help="Only these profiles (repeat -p); default: every profile of the file, "
                     "whatever BALCTL_PROFILE says."),
    ] = None,
    *,
    options: RunOptions,
) -> None:
    """Every profile of the file, fetched concurrently, shown in file order, with totals."""
    from balctl.profiles import load_profiles, select_profiles

    loaded = load_profiles(options.config_path)
    chosen = select_profiles(loaded, profile or [])
    raise typer.Exit(runner.run(chosen, Selection(), options.with_file(loaded), single=False))


@app.command(
    epilog="Examples:\n\n  balctl serve\n\n  balctl serve -p okx -p xt --min-interval 60\n\n"
    "  balctl serve --listen 0.0.0.0:9877   (every interface: put it behind a firewall)",
)
def serve(
    listen: Annotated[
        str, typer.Option("--listen", metavar="HOST:PORT",
                          help="Address to serve /metrics on; anything but loopback must be asked for.")
    ] = "127.0.0.1:9877",
    profile: Annotated[
        Optional[list[str]],
        typer.Option("--profile", "-p", show_default=False,  # not BALCTL_PROFILE: `all` means all
                     autocompletion=_complete_profile, metavar="NAME",
                     help="Only these profiles (repeat -p); default: every profile of the file, "
                     "whatever BALCTL_PROFILE says."),
    ] = None,
    min_interval: Annotated[
        float, typer.Option("--min-interval", click_type=Seconds("balctl.serve:min_interval_seconds"),
                            metavar="SECONDS",
                            help="Fetch at most this often (0 to 86400, a day); scrapes in between get the "
                                 "last result.")
    ] = 30.0,
    config: ConfigOpt = None,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    verbose: VerboseOpt = False,
) -> None:
    """Prometheus exporter: /metrics with every profile's balances, fetched on scrape (needs balctl[prometheus])."""
    from balctl import serve as exporter
    from balctl.messages import enable_request_log
    from balctl.profiles import load_profiles, resolve_config_path, select_profiles
    from balctl.render.prometheus import require

    require()
    chosen = select_profiles(load_profiles(resolve_config_path(config)), profile or [])
    if verbose:
        enable_request_log()
    exporter.run(chosen, listen=listen, min_interval=min_interval, timeout=timeout)


profiles_app = typer.Typer(
    name="profiles",
    cls=TyperGroup,
    invoke_without_command=True,
    no_args_is_help=False,
    help="List the profiles of the file: exchange, base URL, the key masked, where secrets come from. "
    "Subcommands add, remove or check a profile, or print an example file.",
    epilog="Examples:\n\n  balctl profiles\n\n  balctl profiles -o json | jq '.[].name'\n\n"
    "  balctl profiles check\n\n  balctl profiles add main --exchange okx --keyring",
)
app.add_typer(profiles_app)


def _complete_table_or_json(incomplete: str) -> list[str]:
    return [name for name in ("table", "json") if name.startswith(incomplete)]


# Parsed as Output so that BALCTL_OUTPUT=csv (meant for balances) is not an error here;
# shown and completed as what the listing prints (csv/prometheus on the command line: exit 2).
ListOutputOpt = Annotated[
    Output, typer.Option("--output", "-o", envvar="BALCTL_OUTPUT", case_sensitive=False, metavar="<table|json>",
                         autocompletion=_complete_table_or_json,
                         help="Output format (BALCTL_OUTPUT=csv or prometheus, meant for balances, is ignored).")
]


def _table_or_json(ctx: typer.Context, output: Output, command: str) -> str:
    """`-o csv` is refused here; BALCTL_OUTPUT=csv is meant for balances (cron), not this."""
    if output in (Output.csv, Output.prometheus):
        if ctx.get_parameter_source("output") is not ParameterSource.COMMANDLINE:
            return Output.table.value
        raise UsageError(f"balctl {command} prints a table or JSON (-o table|json)")
    return output.value


@profiles_app.callback()
def profiles(ctx: typer.Context, config: ConfigOpt = None, output: ListOutputOpt = Output.table) -> None:
    """List the profiles of the file: exchange, base URL, the key masked, where secrets come from."""
    if ctx.invoked_subcommand is not None:
        return
    from balctl.profiles import load_profiles, resolve_config_path
    from balctl.render.profiles import render_profiles

    fmt = _table_or_json(ctx, output, "profiles")
    path = resolve_config_path(config)
    # the file's own problems (chmod 600 included) stop here, exit 2
    loaded = load_profiles(path)
    render_profiles([loaded.outcome(name) for name in loaded], fmt, sys.stdout, source=path)
    for problem in loaded.problems.values():  # listed, and said: `balctl profiles` checks the file
        report_error(problem)
    if loaded.problems:
        raise typer.Exit(ExitCode.USAGE)


def _config(ctx: typer.Context, config: Path | None) -> Path:
    """This subcommand's -c, else the group's (`balctl profiles -c F check`), else the default."""
    from balctl.profiles import resolve_config_path

    return resolve_config_path(config or (ctx.parent.params.get("config") if ctx.parent else None))


@profiles_app.command(
    "add",
    epilog="Secrets are never option values (shell history): a secret not given as --*-env is asked for "
    "with hidden input on a terminal, or read from standard input, one line each, in this order: "
    "api_key (when neither --api-key nor --api-key-env), api_secret, passphrase (OKX).\n\n"
    "Examples:\n\n  balctl profiles add main --exchange okx --keyring\n\n"
    "  balctl profiles add ci --exchange xt --api-key-env XT_KEY --api-secret-env XT_SECRET --symbols BTC_USDT\n\n"
    "  printf '%s\\n' \"$SECRET\" \"$PASS\" | balctl profiles add bot --exchange okx --api-key KEY",
)
def profiles_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Profile name (letters, digits, _ . -).")],
    exchange: Annotated[str, typer.Option("--exchange", "-e", metavar="|".join(EXCHANGES),
                                          help="The exchange of the key.")],
    api_key: Annotated[Optional[str], typer.Option("--api-key", metavar="KEY",
                                                   help="The API key (not secret; the secret is asked for).")] = None,
    api_key_env: Annotated[Optional[str], typer.Option("--api-key-env", metavar="VAR",
                                                       help="Refer to the API key as ${VAR}.")] = None,
    api_secret_env: Annotated[Optional[str], typer.Option("--api-secret-env", metavar="VAR",
                                                          help="Refer to the API secret as ${VAR}.")] = None,
    passphrase_env: Annotated[Optional[str], typer.Option("--passphrase-env", metavar="VAR",
                                                          help="OKX: refer to the passphrase as ${VAR}.")] = None,
    keyring: Annotated[bool, typer.Option("--keyring", help="Keep the secrets read in the OS keyring "
                                          "(needs balctl[keyring]) instead of the file.")] = False,
    symbols: Annotated[Optional[str], typer.Option("--symbols", metavar="A,B", help="XT: lever pairs to show.")] = None,
    base_url: Annotated[Optional[str], typer.Option("--base-url", metavar="URL",
                                                    help="Regional host or proxy (https).")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="OKX: a demo-trading key.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace a profile of the same name.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Add a profile to the file (created 0600 if needed); comments and other profiles are kept."""
    from balctl.setup import commands
    from balctl.setup.add import NewProfile

    env = {key: value for key, value in (("api_key", api_key_env), ("api_secret", api_secret_env),
                                         ("passphrase", passphrase_env)) if value}
    spec = NewProfile(name=name, exchange=exchange, api_key=api_key, env=env, keyring=keyring,
                      symbols=list(split_codes(symbols)), base_url=base_url, demo=demo)
    raise typer.Exit(commands.add(_config(ctx, config), spec, force=force))


@profiles_app.command("remove", epilog="Examples:\n\n  balctl profiles remove old-sub")
def profiles_remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The profile to remove.")],
    config: ConfigOpt = None,
) -> None:
    """Remove a profile from the file, and the keyring entries only it used."""
    from balctl.setup import commands

    raise typer.Exit(commands.remove(_config(ctx, config), name))


@profiles_app.command(
    "check",
    epilog="Exit code: the worst of the profiles' (0 OK, 2 profile, 3 auth, 4 network, 5 exchange); "
    "a warning alone is 0.\n\nExamples:\n\n  balctl profiles check\n\n"
    "  balctl profiles check main -o json | jq '.[] | select(.ok | not)'",
)
def profiles_check(
    ctx: typer.Context,
    names: Annotated[Optional[list[str]], typer.Argument(metavar="[NAME]...",
                                                         help="Profiles to check (default: all).")] = None,
    output: ListOutputOpt = Output.table,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    config: ConfigOpt = None,
) -> None:
    """One real request per profile: OK or the error, the clock offset, and the key's rights where shown."""
    from balctl.setup import commands

    parent = ctx.parent
    if (ctx.get_parameter_source("output") is ParameterSource.DEFAULT and parent is not None
            and parent.get_parameter_source("output") is ParameterSource.COMMANDLINE):
        output = Output(parent.params["output"])  # `balctl profiles -o json check`
    fmt = _table_or_json(ctx, output, "profiles check")
    raise typer.Exit(commands.check(_config(ctx, config), names or [], fmt, timeout=timeout))


@profiles_app.command("example", epilog="Examples:\n\n  balctl profiles example > ~/.config/balctl/config.yaml")
def profiles_example() -> None:
    """Print the annotated example profile file (every key, with comments)."""
    from balctl.setup import commands

    raise typer.Exit(commands.example())


@app.command(epilog="Examples:\n\n  balctl init\n\n  balctl init -c ./work.yaml\n\n"
             "In a script, use 'balctl profiles add' instead.")
def init(config: ConfigOpt = None, timeout: TimeoutOpt = DEFAULT_TIMEOUT) -> None:
    """Set up a profile by answering questions (needs a terminal), check it, show its balances."""
    from balctl.setup import wizard

    raise typer.Exit(wizard.run(config, timeout=timeout))


@app.command(epilog="Examples:\n\n  balctl demo\n\n  balctl demo -o json | jq '.accounts[].summary'")
def demo(
    output: OutputOpt = Output.table,
    hide_zero: HideZeroOpt = False,
    raw: RawOpt = False,
    verbose: VerboseOpt = False,
    asset: AssetOpt = None,
    min_value: MinValueOpt = None,
    sort: SortOpt = Sort.value,
    columns: ColumnsOpt = None,
    digits: DigitsOpt = None,
    color: ColorOpt = Color.auto,
) -> None:
    """All three exchanges against the bundled simulator on 127.0.0.1: no keys, no network."""
    import tempfile

    from balctl.profiles import load_profiles
    from balctl.simulator import Simulator

    options = run_options(output=output, hide_zero=hide_zero, raw=raw, verbose=verbose, asset=asset,
                          min_value=min_value, sort=sort, columns=columns, digits=digits, color=color)
    with Simulator() as simulator, tempfile.TemporaryDirectory(prefix="balctl-demo-") as folder:
        path = Path(folder) / "demo.yaml"
        path.write_text(simulator.profiles_yaml(), encoding="utf-8")
        path.chmod(0o600)
        first_of_each: dict[str, Any] = {}
        for profile in load_profiles(path).values():
            first_of_each.setdefault(profile.exchange, profile)
        code = runner.run(list(first_of_each.values()), Selection(), options, single=False)
    if code == 0:
        next_step("next: balctl init (your own keys), or balctl profiles example", color.value)
    raise typer.Exit(code)


@app.command(
    epilog="Examples:\n\n  balctl history\n\n  balctl history --field total --asset BTC --since 30d\n\n"
    "  balctl history -o csv --since 2026-01-01 > equity.csv\n\n  balctl history --import balances.csv",
)
def history(
    profile: Annotated[
        Optional[list[str]],
        typer.Option("--profile", "-p", show_default=False, autocompletion=_complete_profile, metavar="NAME",
                     help="Only these profiles (repeat -p); default: every recorded profile."),
    ] = None,
    asset: Annotated[Optional[str], typer.Option("--asset", metavar="BTC,ETH",
                                                 help="Row field of these assets, summed per account.")] = None,
    field: Annotated[str, typer.Option("--field", metavar="FIELD",
                                       help="equity, loan, a risk figure, or a row field (total, available, ...).")]
    = "equity",
    since: Annotated[str, typer.Option("--since", metavar="WHEN", help="From: 90m, 24h, 7d ago, or an ISO date (UTC).")]
    = "7d",
    until: Annotated[Optional[str], typer.Option("--until", metavar="WHEN", show_default=False,
                                                 help="Up to: 90m, 24h, 7d ago, or an ISO date (UTC); default: now.")]
    = None,
    output: Annotated[HistoryOutput, typer.Option("--output", "-o", case_sensitive=False, help="Output format.")]
    = HistoryOutput.table,
    db: DbOpt = None,
    import_file: Annotated[
        Optional[Path],
        typer.Option("--import", metavar="FILE.csv", dir_okay=False, show_default=False,
                     help="Load a CSV written by --append into the history (again: adds nothing)."),
    ] = None,
    color: ColorOpt = Color.auto,
) -> None:
    """Look back: the latest value of a field per account, its change over 1h/24h/7d/30d, and a chart."""
    from balctl.history.command import history as show_history
    from balctl.model import utc_now

    show_history(db=db, profiles=tuple(profile or ()), assets=split_codes(asset), field=field, since=since,
                 until=until, output=output.value, import_file=import_file, out=sys.stdout, now=utc_now(),
                 color=color.value)


def split_codes(value: str | None) -> tuple[str, ...]:
    """`btc, eth` → ("BTC", "ETH"): comma-separated, trimmed, upper-cased, no duplicates."""
    if not value:
        return ()
    codes = [part.strip().upper() for part in value.split(",")]
    if any(not code for code in codes):
        raise UsageError(f"empty item in {value!r}: use a comma-separated list such as BTC,ETH")
    return tuple(dict.fromkeys(codes))


def _run_exchange(exchange: str, profile_name: str | None, selection: Selection, options: RunOptions) -> None:
    """An exchange command: its one profile (docs/contract.md, Which profile), through the run pipeline."""
    from balctl.profiles import choose_profile, load_profiles

    loaded = load_profiles(options.config_path)
    profile = choose_profile(loaded, exchange, profile_name)
    raise typer.Exit(runner.run([profile], selection, options.with_file(loaded), single=True))


def _silence_stdout() -> None:
    """After `| head` closed the pipe, point stdout at /dev/null so the final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main() -> None:
    """Console-script entry point."""
    args, asked = sys.argv[1:], command_asked_for(sys.argv[1:], os.environ)
    if "_BALCTL_COMPLETE" in os.environ and "COMP_WORDS" in os.environ and not _word_index_readable(os.environ):
        return  # no completions: Typer's own reader of COMP_CWORD would end in a traceback
    if asked is None and args in ([], ["--help"], ["-h"]):  # the command list, or `balctl <TAB>`
        listing_only(app)(prog_name="balctl")
    else:
        only_command(app, asked)(prog_name="balctl")


def _word_index_readable(environ: Any) -> bool:
    """bash's COMP_CWORD is a plain index (ASCII digits, not thousands of them)."""
    from balctl.numeric import is_digits

    return is_digits(environ.get("COMP_CWORD", ""))


def command_asked_for(args: list[str], environ: Any) -> str | None:
    """The command this process runs or completes (`okx` of `balctl okx -o json`, or of
    `balctl okx --profile <TAB>`); None while that is not known (`balctl --help`, `balctl <TAB>`)."""
    if "_BALCTL_COMPLETE" in environ:
        from balctl.numeric import is_digits

        if "COMP_WORDS" in environ:  # bash: every word, and the index of the one completed
            words, current = environ["COMP_WORDS"].split(), environ.get("COMP_CWORD", "")
            return words[1] if is_digits(current) and int(current) >= 2 and len(words) >= 2 else None
        typed = environ.get("_TYPER_COMPLETE_ARGS", "")  # zsh, fish: the line typed so far
        words = typed.split()
        return words[1] if len(words) > 2 or (len(words) == 2 and typed.endswith(" ")) else None
    return args[0] if args and not args[0].startswith("-") else None


def listing_only(typer_app: typer.Typer) -> typer.Typer:
    """`typer_app` whose commands have their names and help but none of their options.

    `balctl --help` lists the commands and `balctl <TAB>` completes their names: neither
    needs the options that building every command converts (issue 16). The commands of
    this copy never run: either listing ends the process first.
    """
    narrowed = copy.copy(typer_app)
    narrowed.registered_commands = [_listed(info) for info in typer_app.registered_commands]
    return narrowed


def _listed(info: Any) -> Any:
    """A copy of a command's registration whose callback has its name and doc, no options."""
    def listed() -> None:
        raise InternalError("a command of the --help listing ran")

    listed.__name__ = getattr(info.callback, "__name__", "listed")
    listed.__doc__ = getattr(info.callback, "__doc__", None)
    entry = copy.copy(info)
    entry.callback = listed
    return entry


def only_command(typer_app: typer.Typer, name: str | None) -> typer.Typer:
    """`typer_app` with only command `name` (unchanged when `name` is None or unknown).

    Typer converts every command's options into Click's when it builds the command tree: for
    one run of one command (or one <TAB> of its completion) the other commands are work for
    nothing (issue 16). That command's help, errors and completion are the same either way.
    """
    from typer.main import get_command_name

    if name is None:
        return typer_app
    commands = [info for info in typer_app.registered_commands
                if (info.name or get_command_name(getattr(info.callback, "__name__", ""))) == name]
    groups = [info for info in typer_app.registered_groups
              if (info.name if isinstance(info.name, str) else getattr(info.typer_instance.info, "name", None)) == name]
    if len(commands) + len(groups) != 1:
        return typer_app
    narrowed = copy.copy(typer_app)
    narrowed.registered_commands, narrowed.registered_groups = commands, groups
    return narrowed
