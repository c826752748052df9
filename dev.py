#!/usr/bin/env python3
"""Developer bootstrap for influence-sim (see USAGE below, or run ``python3 dev.py --help``).

Finds a Python >= 3.12, keeps a virtual environment in ``.venv`` next to this
file with the project installed in editable mode, and runs the usual tasks in it.

This file uses the standard library only and must keep running on Python 3.8,
whatever interpreter happens to be called ``python3`` on the machine: no
``match``, no ``X | Y`` annotations, no built-in generics such as ``list[str]``.
"""

import glob
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYPROJECT = ROOT / "pyproject.toml"
STAMP = VENV / ".influence-sim-install"

MIN_VERSION = (3, 12)
ENV_VAR = "INFLUENCE_SIM_PYTHON"
INSTALL_SPEC = ".[test]"
PROBE_TIMEOUT = 30  # seconds; a candidate that hangs longer is skipped

DEFAULT_RUN_ARGS = [
    "scenarios/afghan_takeover.yaml",
    "--out",
    "results/afghan",
    "--seed",
    "1",
    "--force",
]
# Folders that ruff checks, when they exist (with the notebooks' code cells).
LINT_PATHS = ["src", "tests", "benchmarks", "notebooks"]
# The extra with Jupyter, and the kernel `dev.py notebook` registers.
NOTEBOOK_SPEC = ".[test,notebook]"
KERNEL_NAME = "influence-sim"
KERNEL_DISPLAY_NAME = "influence_sim"

IS_WINDOWS = os.name == "nt"

USAGE = """\
Usage:
    python3 dev.py run [ARGS...]          run `influence-sim run ARGS...` in .venv
                                          (default ARGS: {default_run})
    python3 dev.py test [PYTEST_ARGS...]  ruff, mypy, then pytest; stops at the first failure
    python3 dev.py lint                   ruff and mypy only
    python3 dev.py shell                  print how to activate .venv
    python3 dev.py notebooks [FILES...]   execute the notebooks in notebooks/ in place and
                                          store them with their outputs (default: all)
    python3 dev.py notebook               install Jupyter into .venv, register it as the
                                          kernel "{kernel}", print how to start it

The first call creates .venv with a Python >= 3.12 found on this machine and
installs the project into it (pip install -e ".[test]"); later calls reinstall
only when pyproject.toml has changed. To choose the interpreter, set
{env_var}=/path/to/python3.12.
""".format(
    default_run=" ".join(DEFAULT_RUN_ARGS), env_var=ENV_VAR, kernel=KERNEL_DISPLAY_NAME
)

# Prints "major.minor.micro" and the real executable path (not a pyenv shim).
_PROBE_CODE = "import sys; print('%d.%d.%d' % tuple(sys.version_info[:3])); print(sys.executable)"

Version = Tuple[int, int, int]


class DevError(Exception):
    """An expected failure: reported as one line, then exit with ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        """Store the message and the exit code."""
        super().__init__(message)
        self.code = code


def say(message: str) -> None:
    """Print a progress line straight away (CI logs interleave with children)."""
    print("dev.py: " + message, flush=True)


def version_text(version: Version) -> str:
    """Format a version tuple as ``3.12.1``."""
    return ".".join(str(part) for part in version)


# --- finding an interpreter ---------------------------------------------------------


def probe(command: Sequence[str]) -> Optional[Tuple[Version, str]]:
    """Run ``command -c ...`` and return (version, executable), or None if it fails.

    Candidates are run from the repository root so that pyenv shims see the
    project's ``.python-version``. Failing, hanging or odd candidates are skipped.
    """
    try:
        proc = subprocess.run(
            [*command, "-c", _PROBE_CODE],
            cwd=str(ROOT),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            timeout=PROBE_TIMEOUT,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    lines = proc.stdout.strip().splitlines()
    if len(lines) < 2:
        return None
    try:
        major, minor, micro = (int(part) for part in lines[0].strip().split("."))
    except ValueError:
        return None
    executable = lines[1].strip() or command[0]
    return (major, minor, micro), executable


def _version_key(path: str) -> Tuple[int, ...]:
    """Sort key for pyenv install folders such as ``3.12.1``: newest first."""
    name = Path(path).parts[-3] if not IS_WINDOWS else Path(path).parts[-2]
    numbers = []
    for part in name.split("."):
        digits = ""
        for char in part:
            if not char.isdigit():
                break
            digits += char
        numbers.append(int(digits) if digits else -1)
    # Plain releases (all digits) sort before variants such as "3.13.0t".
    plain = 1 if name.replace(".", "").isdigit() else 0
    return (plain, *numbers)


def candidates() -> List[Tuple[str, List[str]]]:
    """Return (label, command) pairs to try, in order of preference."""
    found: List[Tuple[str, List[str]]] = []

    override = os.environ.get(ENV_VAR)
    if override:
        found.append((ENV_VAR, [override]))

    for name in ("python3.13", "python3.12", "python3", "python"):
        path = shutil.which(name)
        if path:
            found.append((name, [path]))

    launcher = shutil.which("py")
    if launcher:
        for flag in ("-3.13", "-3.12"):
            found.append(("py " + flag, [launcher, flag]))

    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    if IS_WINDOWS:  # pyenv-win keeps python.exe at the top of each version folder
        pattern = os.path.join(pyenv_root, "versions", "3.1[2-9]*", "python.exe")
    else:
        pattern = os.path.join(pyenv_root, "versions", "3.1[2-9]*", "bin", "python3")
    for path in sorted(glob.glob(pattern), key=_version_key, reverse=True):
        found.append(("pyenv", [path]))
    return found


def find_python() -> Tuple[Version, str]:
    """Return (version, executable) of a Python >= 3.12, or raise DevError."""
    current: Version = (sys.version_info[0], sys.version_info[1], sys.version_info[2])
    if current[:2] >= MIN_VERSION and sys.executable:
        return current, sys.executable

    seen = set()
    for label, command in candidates():
        key = tuple(command)
        if key in seen:
            continue
        seen.add(key)
        result = probe(command)
        if result is not None and result[0][:2] >= MIN_VERSION:
            return result
        if label == ENV_VAR:
            what = "does not run" if result is None else "is " + version_text(result[0])
            say("ignoring {}={} ({}; need >= 3.12)".format(ENV_VAR, command[0], what))

    raise DevError(
        "Python >= 3.12 is required but none was found; point at one with "
        "{}=/path/to/python3.12".format(ENV_VAR),
        code=2,
    )


# --- the virtual environment --------------------------------------------------------


def venv_python() -> Path:
    """Path of the interpreter inside ``.venv``."""
    if IS_WINDOWS:
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def venv_env() -> Dict[str, str]:
    """Environment for commands run in the venv, as if it were activated."""
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    env["VIRTUAL_ENV"] = str(VENV)
    env["PATH"] = str(venv_python().parent) + os.pathsep + env.get("PATH", "")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def usable_venv() -> bool:
    """Whether ``.venv`` exists, runs, and was made with Python >= 3.12."""
    if not (VENV / "pyvenv.cfg").is_file() or not venv_python().exists():
        return False
    result = probe([str(venv_python())])
    return result is not None and result[0][:2] >= MIN_VERSION


def install_stamp() -> str:
    """What the stamp file records: the install spec and the pyproject.toml hash."""
    if not PYPROJECT.is_file():
        raise DevError("pyproject.toml not found next to dev.py")
    digest = hashlib.sha256(PYPROJECT.read_bytes()).hexdigest()
    return "{} sha256={}\n".format(INSTALL_SPEC, digest)


def create_venv() -> None:
    """(Re)create ``.venv`` with a freshly found Python >= 3.12."""
    version, executable = find_python()
    say("setting up .venv with Python {} ({}) ...".format(version_text(version), executable))
    if VENV.exists() or VENV.is_symlink():
        say("the existing .venv is broken or older than Python 3.12; recreating it")
        if VENV.is_dir() and not VENV.is_symlink():
            shutil.rmtree(str(VENV))
        else:
            VENV.unlink()
    code = subprocess.call([executable, "-m", "venv", str(VENV)], cwd=str(ROOT))
    if code != 0:
        raise DevError(
            "creating .venv failed (exit code {}); the interpreter may lack the venv "
            "module (on Debian/Ubuntu: apt install python3.12-venv)".format(code),
            code=code,
        )


def ensure_venv() -> Path:
    """Make sure ``.venv`` exists and holds the current install; return its python."""
    if not usable_venv():
        create_venv()

    wanted = install_stamp()
    if STAMP.is_file() and STAMP.read_text() == wanted:
        say(".venv is up to date")
        return venv_python()

    python = str(venv_python())
    env = venv_env()
    if STAMP.exists():
        STAMP.unlink()

    say("upgrading pip ...")
    code = subprocess.call(
        [python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], cwd=str(ROOT), env=env
    )
    if code != 0:  # not fatal: the pip that venv bundles can usually install the project
        say("upgrading pip failed (exit code {}); going on with the bundled pip".format(code))

    say("installing influence-sim and its dependencies into .venv ...")
    code = subprocess.call(
        [python, "-m", "pip", "install", "--quiet", "-e", INSTALL_SPEC], cwd=str(ROOT), env=env
    )
    if code != 0:
        raise DevError("installing dependencies failed (pip exit code {})".format(code), code=code)

    STAMP.write_text(wanted)
    say("environment ready")
    return venv_python()


# --- commands -------------------------------------------------------------------------


def run_step(command: List[str]) -> int:
    """Run one command from the repository root inside the venv; return its exit code."""
    return subprocess.call(command, cwd=str(ROOT), env=venv_env())


def lint_steps(python: str) -> List[Tuple[str, List[str]]]:
    """The ruff and mypy steps, as (name, command) pairs."""
    paths = [path for path in LINT_PATHS if (ROOT / path).exists()]
    steps: List[Tuple[str, List[str]]] = []
    if paths:
        steps.append(("ruff", [python, "-m", "ruff", "check", *paths]))
    # mypy takes its files and settings from pyproject.toml
    steps.append(("mypy", [python, "-m", "mypy"]))
    return steps


def run_steps(steps: List[Tuple[str, List[str]]]) -> int:
    """Run steps in order; stop at the first failure and return its exit code."""
    for name, command in steps:
        say("running {} ...".format(name))
        code = run_step(command)
        if code != 0:
            print("dev.py: step '{}' failed (exit code {})".format(name, code), file=sys.stderr)
            return code
    return 0


def cmd_run(args: List[str]) -> int:
    """Run the simulation CLI with ``args`` (or the default scenario)."""
    python = str(ensure_venv())
    return run_step([python, "-m", "influence_sim", "run", *(args or DEFAULT_RUN_ARGS)])


def cmd_lint(args: List[str]) -> int:
    """Run ruff and mypy."""
    if args:
        raise DevError("lint takes no arguments", code=2)
    return run_steps(lint_steps(str(ensure_venv())))


def cmd_test(args: List[str]) -> int:
    """Run ruff, mypy and pytest; treat "no tests ran" as a failure."""
    python = str(ensure_venv())
    code = run_steps(lint_steps(python))
    if code != 0:
        return code
    say("running pytest ...")
    code = run_step([python, "-m", "pytest", *args])
    if code == 5:
        print("dev.py: step 'pytest' failed: no tests were collected", file=sys.stderr)
        return 1
    if code != 0:
        print("dev.py: step 'pytest' failed (exit code {})".format(code), file=sys.stderr)
    return code


def cmd_shell(args: List[str]) -> int:
    """Print how to activate the virtual environment."""
    if args:
        raise DevError("shell takes no arguments", code=2)
    ensure_venv()
    print("To activate the environment, run:")
    if IS_WINDOWS:
        print("    " + str(VENV / "Scripts" / "activate.bat") + "    (cmd.exe)")
        print("    " + str(VENV / "Scripts" / "Activate.ps1") + "    (PowerShell)")
    else:
        print("    source " + str(VENV / "bin" / "activate"))
    print("and 'deactivate' to leave it.")
    return 0


def cmd_notebooks(args: List[str]) -> int:
    """Execute the notebooks (or the given ones) in place and store their outputs."""
    python = str(ensure_venv())
    say("executing the notebooks (each takes under a minute) ...")
    return run_step([python, str(ROOT / "notebooks" / "execute.py"), *args])


def cmd_notebook(args: List[str]) -> int:
    """Install Jupyter into the venv, register the venv as a kernel, say how to start."""
    if args:
        raise DevError("notebook takes no arguments", code=2)
    python = str(ensure_venv())
    say("installing Jupyter (the 'notebook' extra) into .venv ...")
    code = run_step([python, "-m", "pip", "install", "--quiet", "-e", NOTEBOOK_SPEC])
    if code != 0:
        raise DevError("installing Jupyter failed (pip exit code {})".format(code), code=code)
    say("registering .venv as the Jupyter kernel '{}' ...".format(KERNEL_DISPLAY_NAME))
    code = run_step(
        [
            python,
            "-m",
            "ipykernel",
            "install",
            "--user",
            "--name",
            KERNEL_NAME,
            "--display-name",
            KERNEL_DISPLAY_NAME,
        ]
    )
    if code != 0:
        raise DevError("registering the kernel failed (exit code {})".format(code), code=code)
    jupyter = venv_python().parent / ("jupyter.exe" if IS_WINDOWS else "jupyter")
    print("To open the notebooks, run:")
    print("    " + str(jupyter) + " lab notebooks/")
    print(
        "A Jupyter installed elsewhere finds this environment as the kernel "
        "'{}'.".format(KERNEL_DISPLAY_NAME)
    )
    return 0


COMMANDS = {
    "run": cmd_run,
    "test": cmd_test,
    "lint": cmd_lint,
    "shell": cmd_shell,
    "notebooks": cmd_notebooks,
    "notebook": cmd_notebook,
}


def main(argv: List[str]) -> int:
    """Dispatch to a subcommand; arguments after it are passed through untouched."""
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        return 0
    command = COMMANDS.get(argv[0])
    if command is None:
        sys.stderr.write("dev.py: unknown command '{}'\n\n{}".format(argv[0], USAGE))
        return 2
    return command(argv[1:])


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except DevError as error:
        print("dev.py: error: {}".format(error), file=sys.stderr)
        sys.exit(error.code)
    except KeyboardInterrupt:
        print("dev.py: interrupted", file=sys.stderr)
        sys.exit(130)
