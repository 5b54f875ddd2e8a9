#!/usr/bin/env python3
"""The static binary and the container image, run the way a container runtime runs them.

No container can be started on the machines this project is built on (`podman run` fails:
the runtime's setrlimit is refused), so this test does what a runtime does, by hand:

1. `dist/build.sh` builds the static binary (profile-guided, as released, when SIGNSIM_PGO=on:
   `.ci/run` sets it); it must run in an EMPTY root (the binary alone: no libc, no /etc, no
   /tmp, no /proc) and serve both APIs there.
2. `podman build --format docker` builds the image from `Containerfile`; its size (≤ 16 MiB),
   user (not root), port, labels and health check are read from `podman image inspect`.
3. Its root filesystem is exported (`podman create` + `podman export`) and run from the
   image's own Entrypoint + Cmd, User, Env and WorkingDir, in new network, mount and PID
   namespaces: the root bind-mounted read-only, /proc, a /dev of device nodes, /dev/shm a
   64 MiB tmpfs (or absent), nothing else writable, the entrypoint as PID 1. The network
   namespace is joined to this one by a veth pair, like Docker's bridge: requests reach the
   container from a non-loopback address, as `docker run -p 127.0.0.1:8080:8080` delivers them.
4. It checks both APIs, the dashboard, the control API under the names clients use
   (localhost, a compose service name), the image's HEALTHCHECK command run inside the
   container, 80 uploads of 1 MiB with a 64 MiB /dev/shm, a start with no /dev/shm, SIGTERM
   to PID 1 (stopped within a second), and a /data volume surviving a restart.

Needs root, util-linux (unshare, nsenter), iproute2 and podman (or buildah). `.ci/run` runs
it; by hand: `sudo python3 tests/container.py` from the repository root. Prints what it
measured (sizes, start time, stop time) and exits 1 on the first failed check.
"""

import atexit
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "dist", "out")
BINARY = os.path.join(OUT, "signsim-x86_64-linux")
IMAGE_LIMIT = 16 * 1024 * 1024
# More 1 MiB uploads than a 64 MiB /dev/shm holds: the in-memory store must not live there.
UPLOADS = 80
TAG = f"localhost/signsim-test:{os.getpid()}"
# The veth pair of this run: host side .1, container side .2.
NET = f"10.213.{os.getpid() % 200 + 20}"
HOST_IP, CT_IP = f"{NET}.1", f"{NET}.2"
NETNS = f"signsim-ct-{os.getpid()}"
VETH = f"ssh{os.getpid() % 100000}"


# Every wrapper started, so a failed check leaves no container running (see main()).
STARTED = []


def log(msg):
    print(msg, flush=True)


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def sh(*args, **kw):
    """Runs a command, failing the test with its output when it fails."""
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        fail(f"{' '.join(args)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def launch(root, uid, gid, workdir, env, argv):
    """What a runtime does last, in the new namespaces: chroot into the image's root, change to
    its WorkingDir, drop to its User, and exec its Entrypoint + Cmd with exactly its Env."""
    os.chroot(root)
    os.chdir(workdir or "/")
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    os.execve(argv[0], argv, env)


# --- HTTP from the host side ------------------------------------------------------------

def request(addr, method, path, host=None, body=None, headers=None, timeout=10):
    """(status, headers dict, body bytes); `host` is the Host header a client would send."""
    ip, port = addr
    conn = http.client.HTTPConnection(ip, port, timeout=timeout)
    h = {"Host": host or f"{ip}:{port}"}
    h.update(headers or {})
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def wait_healthy(addr, proc, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail(f"the container exited {proc.returncode} before answering:\n{proc.stderr.read()}")
        try:
            status, _, _ = request(addr, "GET", "/__admin/health", host="localhost:8080", timeout=1)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.02)
    fail(f"no healthy answer from {addr} within {seconds} s")


def both_apis(addr, host):
    status, _, body = request(addr, "GET", "/api/GetCAList?Customercode=10320874334", host=host)
    check(status == 200 and b'"IsSuccess":true' in body, f"PKI GetCAList via Host {host}: {status} {body[:300]!r}")
    import base64
    import urllib.parse
    import datetime
    # <time> is the request's time in the service's zone (Almaty, UTC+5), as the document shows.
    now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=5))).strftime("%Y%m%d%H%M%S")
    command = base64.b64encode(f"<data><oper>getavailabledocs</oper><time>{now}</time></data>".encode()).decode()
    form = urllib.parse.urlencode({
        "login": "alfa@test.kz", "apikey": "7588ca38acc4ef76149caa0b0c115d94", "command": command,
    })
    status, _, body = request(addr, "POST", "/apistatus.php", host=host, body=form,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(status == 200 and b"<resp" in body and b"err=\"no\"" in body.replace(b"'", b'"'),
          f"Podpishi getavailabledocs via Host {host}: {status} {body[:300]!r}")


# --- 1. the static binary in an empty root ---------------------------------------------------

def static_binary_in_an_empty_root():
    root = tempfile.mkdtemp(prefix="signsim-empty-root-")
    os.chmod(root, 0o755)  # as / is: the unprivileged user must reach /signsim
    try:
        shutil.copy2(BINARY, os.path.join(root, "signsim"))
        check(sorted(os.listdir(root)) == ["signsim"], "the empty root holds the binary alone")
        # New mount and PID namespaces, this machine's network: nothing in the root but the
        # binary, run as an unprivileged user so it could not create anything either.
        script = (f"exec {sys.executable} {os.path.abspath(__file__)} --launch {root} 65532 65532 / "
                  "'{}' /signsim serve --addr 127.0.0.1:0")
        proc = subprocess.Popen(["unshare", "--mount", "--pid", "--fork", "--propagation", "private",
                                 "bash", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        STARTED.append(proc)
        url = proc.stdout.readline().strip()
        check(url.startswith("http://127.0.0.1:"), f"no URL from the binary in an empty root: {url!r} "
              f"{proc.stderr.read() if proc.poll() is not None else ''}")
        port = int(url.rsplit(":", 1)[1])
        addr = ("127.0.0.1", port)
        wait_healthy(addr, proc)
        both_apis(addr, f"localhost:{port}")
        # Its own health command, from the same empty root.
        r = subprocess.run(["unshare", "--mount", "--pid", "--fork", sys.executable,
                            os.path.abspath(__file__), "--launch", root, "65532", "65532", "/",
                            json.dumps({"SIGNSIM_ADDR": f"127.0.0.1:{port}"}), "/signsim", "health"],
                           capture_output=True, text=True, timeout=20)
        check(r.returncode == 0 and "healthy" in r.stdout, f"signsim health in the empty root: {r.stdout}{r.stderr}")
        stop(proc, "the binary in an empty root")
        check(os.listdir(root) == ["signsim"], f"the binary wrote into its root: {os.listdir(root)}")
        log(f"ok: the static binary ({os.path.getsize(BINARY)} bytes) serves both APIs in an empty root")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def stop(proc, what, limit=1.0):
    """SIGTERM to the process (the container's PID 1 when given the unshare wrapper's child)."""
    pid = init_pid(proc)
    started = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail(f"{what}: still running 10 s after SIGTERM")
    took = time.monotonic() - started
    check(proc.returncode == 0, f"{what}: exit {proc.returncode} after SIGTERM: {proc.stderr.read()[-2000:]}")
    check(took <= limit, f"{what}: SIGTERM took {took:.3f} s (limit {limit} s)")
    return took


def init_pid(proc):
    """The host PID of the process `unshare --fork` started (PID 1 in its namespace)."""
    pid = proc.pid
    for _ in range(100):
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                kids = f.read().split()
        except OSError:
            kids = []
        if kids:
            return int(kids[0])
        time.sleep(0.01)
    fail(f"unshare {pid} has no child")


# --- 2. the image -------------------------------------------------------------------------------

def build_image():
    engine = shutil.which("podman") or fail("podman is not installed (apt-get install podman)")
    revision = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    sh(engine, "build", "--format", "docker", "-f", "Containerfile", "-t", TAG,
       "--build-arg", f"REVISION={revision or 'unknown'}", ".", cwd=REPO)
    info = json.loads(sh(engine, "image", "inspect", TAG))[0]
    size = info["Size"]
    config = info["Config"]
    log(f"image {TAG}: {size} bytes ({size / 1048576:.1f} MiB)")
    check(size <= IMAGE_LIMIT, f"the image is {size} bytes, over {IMAGE_LIMIT}")
    user = config.get("User", "")
    check(user and user.split(":")[0] not in ("", "0", "root"), f"the image runs as root: User={user!r}")
    check("8080/tcp" in (config.get("ExposedPorts") or {}), f"no EXPOSE 8080: {config.get('ExposedPorts')}")
    labels = config.get("Labels") or {}
    for label in ["source", "version", "licenses", "revision"]:
        check(labels.get(f"org.opencontainers.image.{label}"), f"no OCI label {label}: {labels}")
    version = sh(BINARY, "--version").split()[1]
    check(labels["org.opencontainers.image.version"] == version,
          f"label version {labels['org.opencontainers.image.version']} is not the binary's {version}")
    health = info.get("Healthcheck") or info.get("HealthCheck") or config.get("Healthcheck") or {}
    check(health.get("Test", [])[:1] == ["CMD"], f"no exec-form HEALTHCHECK: {health}")
    return config, health, size


def export_rootfs():
    root = tempfile.mkdtemp(prefix="signsim-image-root-")
    os.chmod(root, 0o755)
    cid = sh("podman", "create", TAG).strip()
    try:
        export = subprocess.Popen(["podman", "export", cid], stdout=subprocess.PIPE)
        sh_in = subprocess.run(["tar", "-C", root, "-xf", "-"], stdin=export.stdout)
        export.wait()
        check(export.returncode == 0 and sh_in.returncode == 0, "podman export failed")
    finally:
        subprocess.run(["podman", "rm", "-f", cid], capture_output=True)
    return root


# --- 3. running the root filesystem as a runtime does ------------------------------------------------

def network_up():
    subprocess.run(["ip", "netns", "del", NETNS], capture_output=True)
    sh("ip", "netns", "add", NETNS)
    sh("ip", "link", "add", VETH, "type", "veth", "peer", "name", "eth0", "netns", NETNS)
    sh("ip", "addr", "add", f"{HOST_IP}/24", "dev", VETH)
    sh("ip", "link", "set", VETH, "up")
    sh("ip", "netns", "exec", NETNS, "ip", "addr", "add", f"{CT_IP}/24", "dev", "eth0")
    sh("ip", "netns", "exec", NETNS, "ip", "link", "set", "eth0", "up")
    sh("ip", "netns", "exec", NETNS, "ip", "link", "set", "lo", "up")


def network_down():
    subprocess.run(["ip", "link", "del", VETH], capture_output=True)
    subprocess.run(["ip", "netns", "del", NETNS], capture_output=True)


def run_container(root, config, shm=True, volume=None, extra_env=None):
    """Starts the image's entrypoint the way a runtime does; returns the Popen of the wrapper."""
    for d in ["proc", "dev"]:
        os.makedirs(os.path.join(root, d), exist_ok=True)  # the runtime's mount points
    env = dict(e.split("=", 1) for e in config.get("Env") or [])
    env.update(extra_env or {})
    user = config.get("User") or "0:0"
    uid, _, gid = user.partition(":")
    argv = (config.get("Entrypoint") or []) + (config.get("Cmd") or [])
    mounts = [
        # The root, read-only: nothing but the mounts below is writable.
        f"mount --bind {root} {root}",
        f"mount -o remount,bind,ro {root}",
        f"mount -t proc -o nosuid,nodev,noexec proc {root}/proc",
        f"mount -t tmpfs -o nosuid,mode=755,size=64k tmpfs {root}/dev",
    ]
    for node in ["null", "zero", "random", "urandom"]:
        mounts += [f"touch {root}/dev/{node}", f"mount --bind /dev/{node} {root}/dev/{node}"]
    if shm:
        mounts += [f"mkdir {root}/dev/shm",
                   f"mount -t tmpfs -o nosuid,nodev,noexec,mode=1777,size=64m shm {root}/dev/shm"]
    if volume:
        mounts.append(f"mount --bind {volume} {root}/data")
    mounts.append(f"mount -o remount,bind,ro,nosuid {root}/dev")
    workdir = config.get("WorkingDir") or "/"
    script = " && ".join(mounts) + (
        f" && exec {sys.executable} {os.path.abspath(__file__)} --launch {root} {uid} {gid or uid} "
        f"{workdir} '{json.dumps(env)}' " + " ".join(argv))
    proc = subprocess.Popen(["ip", "netns", "exec", NETNS, "unshare", "--mount", "--pid", "--fork",
                             "--propagation", "private", "bash", "-c", script],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(proc)
    return proc, (uid, gid or uid, workdir, env)


def exec_in(proc, root, identity, argv):
    """`docker exec`: the container's namespaces, user, working directory and environment."""
    uid, gid, workdir, env = identity
    pid = init_pid(proc)
    return subprocess.run(["nsenter", "--target", str(pid), "--net", "--mount", "--pid", "--",
                           sys.executable, os.path.abspath(__file__), "--launch", root, uid, gid, workdir,
                           json.dumps(env)] + argv, capture_output=True, text=True, timeout=30)


def status_line(pid):
    with open(f"/proc/{pid}/status") as f:
        return {k: v.strip() for k, v in (l.split(":", 1) for l in f if ":" in l)}


def the_image_as_a_runtime_runs_it(config, health):
    root = export_rootfs()
    entries = sorted(os.listdir(root))
    log(f"exported root filesystem: {entries}")
    volume = tempfile.mkdtemp(prefix="signsim-volume-")
    network_up()
    addr = (CT_IP, 8080)
    try:
        # A. The default run: 64 MiB /dev/shm, read-only root, no volume, no flag.
        started = time.monotonic()
        proc, identity = run_container(root, config)
        wait_healthy(addr, proc)
        start_ms = (time.monotonic() - started) * 1000
        pid = init_pid(proc)
        ns_pid = status_line(pid)["NSpid"].split()
        check(ns_pid[-1] == "1", f"the entrypoint is not PID 1 in its namespace: NSpid {ns_pid}")
        uid_line = status_line(pid)["Uid"].split()
        check(uid_line[0] == identity[0], f"runs as uid {uid_line[0]}, not the image's {identity[0]}")
        # The host reaches the container through the bridge, as `-p 127.0.0.1:8080:8080` does:
        # the browser's Host is localhost:8080; a compose service calls it signsim:8080.
        for host in ["localhost:8080", "signsim:8080", f"{CT_IP}:8080"]:
            both_apis(addr, host)
            status, _, body = request(addr, "GET", "/__admin/health", host=host)
            check(status == 200 and json.loads(body)["status"] == "ok",
                  f"the control API via Host {host} from the bridge: {status} {body[:200]!r}")
        status, headers, _ = request(addr, "GET", "/", host="localhost:8080")
        check(status == 303 and headers.get("location") == "/__admin/ui",
              f"http://localhost:8080/ leads to the dashboard: {status} {headers}")
        status, headers, body = request(addr, "GET", "/__admin/ui", host="localhost:8080")
        check(status == 200 and headers.get("content-type", "").startswith("text/html") and b"<html" in body.lower(),
              f"the dashboard: {status} {headers.get('content-type')}")
        status, _, _ = request(addr, "POST", "/__admin/reset", host="rebind.example:8080")
        check(status == 403, f"a DNS-rebinding Host must be refused, got {status}")
        # The HEALTHCHECK command, run inside the container as Docker runs it.
        test = health["Test"]
        r = exec_in(proc, root, identity, test[1:])
        check(r.returncode == 0 and "healthy" in r.stdout, f"HEALTHCHECK {test[1:]}: exit {r.returncode} {r.stdout}{r.stderr}")
        log(f"ok: HEALTHCHECK inside the container: {r.stdout.strip()}")
        # More 1 MiB uploads than /dev/shm holds: the in-memory store must not live there.
        doc = os.path.join(volume, "..", f"signsim-upload-{os.getpid()}.bin")
        with open(doc, "wb") as f:
            f.write(os.urandom(1024 * 1024))
        try:
            for i in range(UPLOADS):
                r = subprocess.run(["curl", "-s", "-H", "Host: localhost:8080", f"http://{CT_IP}:8080/api.php",
                                    "-F", "login=alfa@test.kz", "-F", "apikey=7588ca38acc4ef76149caa0b0c115d94",
                                    "-F", "nametxt=big", "-F", f"uniq_reference=big-{i}",
                                    "-F", "owner_bin=160940001237", "-F", "receiver_bin=160940004561",
                                    "-F", "type_delegate=1", "-F", "receiver_mail=beta@test.kz",
                                    "-F", f"uf=@{doc};filename=big.bin"], capture_output=True, text=True, timeout=30)
                check("err=\"no\"" in r.stdout.replace("'", '"'), f"upload {i + 1} of 1 MiB: {r.stdout[:300]}")
        finally:
            os.unlink(doc)
        log(f"ok: {UPLOADS} uploads of 1 MiB with a 64 MiB /dev/shm and a read-only root")
        took = stop(proc, "the container (PID 1)")
        log(f"ok: the container started in {start_ms:.0f} ms (exec to healthy) and stopped {took * 1000:.0f} ms after SIGTERM")

        # B. No /dev/shm at all.
        proc, _ = run_container(root, config, shm=False)
        wait_healthy(addr, proc)
        both_apis(addr, "localhost:8080")
        stop(proc, "the container without /dev/shm")
        log("ok: starts and serves with no /dev/shm")

        # C. A data volume on /data (`-v DIR:/data -e SIGNSIM_DATA_DIR=/data`) survives a restart.
        os.chown(volume, int(identity[0]), int(identity[1]))
        data_env = {"SIGNSIM_DATA_DIR": "/data"}
        proc, _ = run_container(root, config, volume=volume, extra_env=data_env)
        wait_healthy(addr, proc)
        body = sh(BINARY, "pki", "body", "RegisterInfo", "--key",
                  os.path.join(REPO, "fixtures/pki/customers/10320874334.key"),
                  "--customercode", "10320874334-1234", *[a for kv in [
                      "caName=01", "profileName=Bronze-Sign", "personData.NationalCode=0012345679",
                      "personData.Name=مهدی", "personData.LastName=احمدی", "personData.EnName=Mehdi",
                      "personData.EnLastName=Ahmadi", "personData.FatherName=حسن", "personData.IsMan=true",
                      "personData.Telephone=09121234567", "personData.BirthDate=1369/02/22",
                      "personData.TokenType=USERGENERATED", "personData.City=تهران",
                      "personData.ProvinceName=تهران", "personData.PostalCode=1136913111"]
                      for a in ("--set", kv)])
        status, _, answer = request(addr, "POST", "/api/RegisterInfo", host="localhost:8080", body=body.encode(),
                                    headers={"Content-Type": "application/json"})
        check(status == 200 and b'"IsSuccess":true' in answer, f"RegisterInfo: {status} {answer[:300]!r}")
        code = json.loads(answer)["TrackingCode"]
        stop(proc, "the container with a volume")
        check(any(n.startswith("gen-") for n in os.listdir(volume)), f"nothing in the volume: {os.listdir(volume)}")
        proc, _ = run_container(root, config, volume=volume, extra_env=data_env)
        wait_healthy(addr, proc)
        status, _, state = request(addr, "GET", f"/__admin/pki/tracking/{code}", host="localhost:8080")
        check(status == 200 and code.encode() in state, f"tracking code {code} after a restart: {status} {state[:300]!r}")
        status, _, again = request(addr, "POST", "/api/RegisterInfo", host="localhost:8080", body=body.encode(),
                                   headers={"Content-Type": "application/json"})
        check(json.loads(again).get("TrackingCode") == code, f"the repeat registers anew: {again[:300]!r}")
        stop(proc, "the restarted container with a volume")
        log(f"ok: tracking code {code} survived a restart on the /data volume")
        return start_ms
    finally:
        network_down()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(volume, ignore_errors=True)


def kill_leftovers():
    """Kills what a failed check left running: killing PID 1 of a namespace ends all of it."""
    for proc in STARTED:
        if proc.poll() is None:
            try:
                os.kill(init_pid(proc), signal.SIGKILL)
            except (OSError, SystemExit):
                proc.kill()
            proc.wait()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--launch":
        root, uid, gid, workdir, env = sys.argv[2:7]
        launch(root, int(uid), int(gid), workdir, json.loads(env), sys.argv[7:])
        return
    if os.geteuid() != 0:
        fail("needs root (namespaces, mounts, a veth pair): run it as root or with sudo")
    for tool in ["unshare", "nsenter", "ip", "podman", "curl", "tar"]:
        check(shutil.which(tool), f"{tool} is not installed")
    os.chdir(REPO)
    atexit.register(kill_leftovers)
    started = time.monotonic()
    built = sh("bash", "dist/build.sh", OUT).strip().splitlines()[-1]
    if os.environ.get("SIGNSIM_PGO") == "on":
        check("profile-guided" in built, f"SIGNSIM_PGO=on builds with a profile: {built}")
    log(f"built {BINARY}: {os.path.getsize(BINARY)} bytes in {time.monotonic() - started:.0f} s ({built})")
    with open(BINARY + ".sha256") as f:
        check(f.read().split()[1] == os.path.basename(BINARY), "the checksum file names the binary")
    sh("sha256sum", "-c", os.path.basename(BINARY) + ".sha256", cwd=OUT)
    static_binary_in_an_empty_root()
    config, health, size = build_image()
    try:
        start_ms = the_image_as_a_runtime_runs_it(config, health)
    finally:
        subprocess.run(["podman", "rmi", "-f", TAG], capture_output=True)
    log(f"container test passed: binary {os.path.getsize(BINARY)} bytes, image {size} bytes, "
        f"start {start_ms:.0f} ms in the namespace harness")


if __name__ == "__main__":
    main()
