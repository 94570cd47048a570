"""Running one student's notebook under limits, so that one submission can only hurt itself.

``GuardedExecute`` replaces nbgrader's Execute preprocessor:

- a wall-clock limit for each cell (nbgrader's ``timeout``) and one for the whole notebook: cells
  past the notebook's deadline are not run and show why;
- a memory limit: the kernel gets an address-space limit on the CPU (so a memory bomb raises
  MemoryError in its own cell) and a watchdog that kills it if its resident memory passes the limit;
- no network: where ``unshare`` works (Linux, as root) the kernel runs in its own empty network
  namespace, talking to the grader over Unix sockets;
- no secrets on disk: there too, the kernel runs in its own mount namespace where the course
  repository (solutions, tests, git history) and the grader's work folder (the gradebook, other
  students' notebooks) are empty, except for the course package and its own folder;
- a dead kernel (``os._exit``, a segfault, the watchdog) costs only the cell it died in: the error
  is recorded there, the kernel restarts, the cells before it run again silently, and grading goes
  on with the next cell. Tests that passed before keep their points;
- tests that run on the grader's terms: once the locked setup cells have run, and before any
  student code, a guard goes into the kernel (grader/kernel_guard.py). Each graded cell then runs
  through it: IPython's hooks, ``sys``'s hooks, torch, numpy, builtins and the setup's names are
  put back as they were, the test runs, and only a test that ran to its end, leaving all of that
  untouched, prints a token the grader drew for that cell. A graded cell whose output lacks its
  token fails (``GradingError``), however the notebook got its exception to vanish. The token is
  removed from the saved outputs; the notebook's source is never changed. The guard's docstring
  says what it restores and what it cannot defend.
"""
import functools
import hashlib
import math
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from queue import Empty

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from traitlets import Bool, Enum, Integer, List, Unicode

from nbgrader.preprocessors import Execute, NbGraderPreprocessor

from grader.kernel_guard import GUARD_NAME
from grader.notebooks import is_read_only, is_test

MAX_RESTARTS = 10
# The longest a wait for a kernel's message goes without looking at the socket again (seconds).
POLL_SLICE = 1.0
# Errors that the limits put in a cell: such a cell is not run again when the kernel restarts.
LIMIT_ERRORS = {"NotRun", "KernelDied", "CellTimeoutError", "MemoryError", "KeyboardInterrupt"}
# Sent to the kernel as text: the kernel cannot import the grader (it may not even see it).
GUARD_SOURCE = (Path(__file__).parent / "kernel_guard.py").read_text()


@functools.cache    # asked once per worker, not once per kernel
def network_isolation_available() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--net", "--", "true"], capture_output=True)
    return probe.returncode == 0


@functools.cache
def filesystem_isolation_available() -> bool:
    if not (shutil.which("unshare") and shutil.which("mount")):
        return False
    probe = subprocess.run(["unshare", "--mount", "--", "mount", "-t", "tmpfs", "tmpfs", "/mnt"], capture_output=True)
    return probe.returncode == 0


# Run inside a private mount namespace, just before the kernel: empty tmpfs over the course
# repository and the grader's work folder (solutions, tests, .git, the gradebook, other students'
# notebooks), then the course package and the kernel's own folder mounted back where they were.
# Writes anywhere under the hidden folders land in the throwaway tmpfs.
SANDBOX_SCRIPT = r"""
set -e
keep="$1"; package="$2"; shift 2
here="$PWD"
mkdir -p "$keep/package" "$keep/here"
mount --bind "$package" "$keep/package"
mount --bind "$here" "$keep/here"
while [ "$1" != "--" ]; do mkdir -p "$1"; mount -t tmpfs -o size=64m,mode=0755 tmpfs "$1"; shift; done
shift
mkdir -p "$package" "$here"
mount --bind "$keep/package" "$package"
mount --bind "$keep/here" "$here"
cd "$here"
exec "$@"
"""


class IsolatedKernelManager(AsyncKernelManager):
    """A kernel started under limits: optionally in its own empty network namespace (reached over
    Unix sockets, since a new namespace has its own loopback) and with an address-space limit."""

    isolate_network = Bool(False)
    address_space_limit = Integer(0)   # bytes; 0 = none
    hidden_paths = List(Unicode())     # folders the kernel must not see (needs a mount namespace)
    package_dir = Unicode("")          # the course package, shown again inside a hidden folder

    private_dir = Unicode("")          # the kernel's sockets and mount points; removed with it

    def own_folder(self) -> str:
        if not self.private_dir:
            self.private_dir = tempfile.mkdtemp(prefix="grader-kernel-")
        return self.private_dir

    def isolate(self):
        self.isolate_network = True
        self.transport = "ipc"
        self.ip = os.path.join(self.own_folder(), "kernel")

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        prefix = []
        if self.address_space_limit and shutil.which("prlimit"):
            prefix += ["prlimit", f"--as={self.address_space_limit}", "--"]
        namespaces = (["--net"] if self.isolate_network else []) + (["--mount"] if self.hidden_paths else [])
        if namespaces:
            prefix += ["unshare", *namespaces, "--"]
        if self.hidden_paths:
            keep = os.path.join(self.own_folder(), "mounts")
            prefix += ["sh", "-c", SANDBOX_SCRIPT, "sandbox", keep, self.package_dir, *self.hidden_paths, "--"]
        return prefix + cmd

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self.private_dir:
            # A restarted kernel reuses its sockets' folder; a stopped one leaves nothing in /tmp.
            shutil.rmtree(self.private_dir, ignore_errors=True)
            self.private_dir = ""

    cleanup_resources = _async_cleanup_resources


def wait_in_slices(channel) -> None:
    """Make ``channel.get_msg(timeout)`` look for a message at least once a POLL_SLICE.

    Now and then the asyncio wake-up for a message that has already arrived is lost (nbclient
    issue #312; here about one grading in fifty, at a cell that shows an ipywidgets control). The
    wait then lasted the cell's whole time limit, 120 s, before pyzmq's last look at the socket found
    the reply, and the cell passed as if nothing had happened. Waiting in slices bounds the loss to
    one slice."""
    wait = channel.get_msg

    async def get_msg(timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SLICE if deadline is None else max(0.0, min(POLL_SLICE, deadline - time.monotonic()))
            try:
                return await wait(timeout=left)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    channel.get_msg = get_msg


def error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def resident_bytes(pid: int) -> int:
    """The process's resident memory (psutil reads it on Linux and macOS alike); 0 once it is gone."""
    import psutil

    try:
        return psutil.Process(pid).memory_info().rss
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return 0


class GuardedExecute(Execute):
    notebook_timeout = Integer(600, help="seconds the whole notebook may run").tag(config=True)
    memory_limit_mb = Integer(4096, help="resident memory the kernel may use (0: no limit)").tag(config=True)
    isolate_network = Bool(True, help="run the kernel without network where unshare allows").tag(config=True)
    kill_grace = Integer(15, help="seconds past a cell's timeout before a stuck kernel is killed").tag(config=True)
    hidden_paths = List(Unicode(), help="folders hidden from the kernel (course repository, work folder)").tag(config=True)
    package_dir = Unicode("", help="the course package's folder, visible again inside hidden_paths").tag(config=True)
    guard_tests = Bool(True, help="run graded cells through the in-kernel guard (grader/kernel_guard.py)").tag(config=True)
    # Once the last cell has run, nothing in the kernel is worth a graceful exit, and one graceful
    # shutdown in about fifteen waited 4 s for the kernel to leave.
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", IsolatedKernelManager)
        super().__init__(*args, **kwargs)

    # --- kernel start ---------------------------------------------------------------------
    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if self.isolate_network and network_isolation_available():
            km.isolate()
        if self.hidden_paths and filesystem_isolation_available():
            km.hidden_paths = [p for p in self.hidden_paths if os.path.isdir(p)]
            km.package_dir = self.package_dir
        # CUDA reserves far more address space than it uses, so there only the watchdog guards memory.
        on_cuda = os.environ.get("LLMCOURSE_DEVICE") == "cuda"
        if self.memory_limit_mb and not on_cuda:
            # Address space runs well above resident memory (shared libraries, allocator arenas).
            km.address_space_limit = 2 * self.memory_limit_mb * 2**20
        return km

    def start_new_kernel_client(self):
        kc = super().start_new_kernel_client()
        wait_in_slices(kc.shell_channel)
        wait_in_slices(kc.iopub_channel)
        return kc

    async def _async_run_quietly(self, code: str, timeout: float) -> dict:
        """Run code in the kernel, outside the notebook (nothing recorded), and return its reply."""
        msg_id = await ensure_async(self.kc.execute(code, silent=True, store_history=False))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = await self.kc.shell_channel.get_msg(timeout=min(POLL_SLICE, deadline - time.monotonic()))
            except Empty:
                if not await ensure_async(self.kc.is_alive()):
                    raise DeadKernelError("the kernel died") from None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg
        raise TimeoutError(f"no reply from the kernel in {timeout:g} s")

    # --- the watchdog ---------------------------------------------------------------------
    def _watch(self):
        while not self._stop_watching.wait(0.1):
            pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
            if not pid:
                continue
            reason = None
            if self.memory_limit_mb and resident_bytes(pid) > self.memory_limit_mb * 2**20:
                reason = f"the kernel used more than the {self.memory_limit_mb} MB memory limit"
            elif self._hard_deadline and time.monotonic() > self._hard_deadline:
                reason = "the kernel did not stop after its time limit"
            if reason:
                self._kill_reason = reason
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass

    # --- running the notebook -------------------------------------------------------------
    def preprocess(self, nb, resources=None, km=None):
        self._deadline = time.monotonic() + self.notebook_timeout
        self._hard_deadline = None
        self._kill_reason = None
        self._crashed = set()
        self._restarts = 0
        self._cell_limit = self.timeout
        self._stop_watching = threading.Event()
        self._plan_guard(nb)
        watcher = threading.Thread(target=self._watch, daemon=True)
        watcher.start()
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self._stop_watching.set()
            watcher.join()

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        remaining = self._deadline - time.monotonic()
        if remaining <= 0 or self._restarts > MAX_RESTARTS:
            why = (f"the notebook ran past its {self.notebook_timeout} s limit" if remaining <= 0
                   else "the kernel died earlier and could not be restarted")
            cell.outputs = [error_output("NotRun", f"this cell was not run: {why}")]
            return cell, resources
        # Rounded up, so that a cell stopped by the notebook's limit ends at or after the deadline:
        # rounding down left up to a second in which the next quick cells (tests included) still ran.
        self.timeout = max(1, math.ceil(min(self._cell_limit or remaining, remaining)))
        self._hard_deadline = time.monotonic() + self.timeout + self.kill_grace
        if index >= self._guard_at and not self._guard_ready:
            self._install_guard()
        guarded = index in self._tokens
        original = cell.source
        if guarded:
            cell.source = self._guarded_source(index, original)
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            reason = self._kill_reason or "the kernel died (os._exit, a crash or a signal)"
            self._kill_reason = None
            self._crashed.add(index)
            cell.outputs.append(error_output("KernelDied", f"{reason} while running this cell"))
            self._restart_and_replay(index)
            return cell, resources
        finally:
            cell.source = original
            if guarded:
                self._settle(cell, index)
            self._hard_deadline = None
            self.timeout = self._cell_limit

    # --- the guard (grader/kernel_guard.py) --------------------------------------------------
    def _plan_guard(self, nb):
        """Draw a token for each graded cell, and find where the guard goes in: after the leading
        locked setup cells (so it keeps what they bind), before any code a student wrote."""
        self._tokens, self._guard_ready = {}, False
        self._guard_at = len(nb.cells)
        if not self.guard_tests:
            return
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if is_test(cell):
                self._tokens[index] = (hashlib.sha256(cell.source.encode()).hexdigest(), secrets.token_hex(16))
            if not is_read_only(cell):
                self._guard_at = min(self._guard_at, index)

    def _install_guard(self):
        self._guard_ready = True
        if not self._tokens:
            return
        code = (f"(lambda ns: (exec(compile({GUARD_SOURCE!r}, '<grader guard>', 'exec'), ns), "
                f"ns['install']({self._tokens!r})))({{'__name__': '_grader_guard_source'}})")
        reply = run_sync(self._async_run_quietly)(code, 120)
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise RuntimeError(f"the grading guard did not install: {content.get('ename')}: {content.get('evalue')}")

    def _guarded_source(self, index: int, source: str) -> str:
        return f"__import__('sys').modules[{GUARD_NAME!r}].run({index}, {source!r})"

    def _settle(self, cell, index: int):
        """Take the cell's token out of its outputs; no token and no error means the test was cut
        short or its failure hidden, which fails the cell."""
        token = self._tokens[index][1]
        found, kept = False, []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and token in output.get("text", ""):
                found = True
                output["text"] = output["text"].replace(f"\n{token}\n", "").replace(token, "")
                if not output["text"]:
                    continue
            kept.append(output)
        cell.outputs = kept
        failed = any(o.get("output_type") == "error" for o in kept)
        if not found and not failed:
            cell.outputs.append(error_output(
                "GradingError", "this test did not run to its end, so it earns no points: something in the "
                                "notebook stopped it or hid its result"))

    def _restart_and_replay(self, upto: int):
        """Restart the kernel and silently re-run the code cells before ``upto`` that did not crash it."""
        self._restarts += 1
        graded_later = any(c.metadata.get("nbgrader", {}).get("grade") for c in self.nb.cells[upto + 1:])
        if self._restarts > MAX_RESTARTS or not graded_later:
            self._restarts = MAX_RESTARTS + 1    # nothing graded is left to save: stop here
            return
        run_sync(self.km.restart_kernel)(now=True)
        run_sync(self.kc.wait_for_ready)(timeout=60)
        self._guard_ready = False
        for index in range(upto):
            if index >= self._guard_at and not self._guard_ready:
                self._install_guard()
            cell = self.nb.cells[index]
            hit_a_limit = any(o.get("output_type") == "error" and o.get("ename") in LIMIT_ERRORS
                              for o in cell.get("outputs", []))
            if cell.cell_type != "code" or index in self._crashed or hit_a_limit:
                continue
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                return
            limit = min(self._cell_limit or remaining, remaining)
            self._hard_deadline = time.monotonic() + limit + self.kill_grace
            try:
                # Straight to the kernel, not through nbclient, so the graded cells keep their outputs.
                source = self._guarded_source(index, cell.source) if index in self._tokens else cell.source
                run_sync(self._async_run_quietly)(source, max(1, limit))
            except (DeadKernelError, TimeoutError, RuntimeError):
                if not run_sync(self.kc.is_alive)():
                    self._crashed.add(index)
                    self._kill_reason = None
                    return self._restart_and_replay(upto)
        if upto >= self._guard_at and not self._guard_ready:
            self._install_guard()


class StderrIsNotFailure(NbGraderPreprocessor):
    """nbgrader scores a test cell 0 if anything reaches stderr, so a library's warning would cost a
    correct answer its points. Keep such text visible, as ordinary output, and let errors alone decide."""

    def preprocess_cell(self, cell, resources, index):
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    output["name"] = "stdout"
        return cell, resources
