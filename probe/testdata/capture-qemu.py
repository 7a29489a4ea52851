# Boots the probe as /init of a QEMU initramfs and records its serial console.
# Usage: capture-qemu.py ACCEL OUT INITRD (see capture.sh).
import subprocess, sys, time, os, select
accel = sys.argv[1]; out = sys.argv[2]
cmd = ["qemu-system-x86_64", "-accel", accel, "-M", "microvm,x-option-roms=off,isa-serial=on,pit=on,pic=on,rtc=on",
       "-m", "256", "-smp", "1", "-nographic", "-no-reboot", "-kernel", os.environ.get("AGENTIC_EVAL_KERNEL", "/var/cache/agentic-eval/qemu/vmlinuz"),
       "-initrd", sys.argv[3], "-append", "console=ttyS0 panic=-1 quiet tsc_early_khz=2096000 lpj=8384000"]
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
buf = b""; t0 = time.time()
reqs = [b"ping\n", b"token set 0123abcd\n", b"token get\n", b"facts 127.0.0.1:47611\n", b"bogus\n", b"exit\n"]
sent = 0
def pump(timeout):
    global buf
    r,_,_ = select.select([p.stdout],[],[],timeout)
    if r:
        d = os.read(p.stdout.fileno(), 65536)
        if not d: return False
        buf += d
    return True
while time.time()-t0 < 60:
    if not pump(0.2): break
    # Like the harness, answer only complete lines.
    lines = sum(1 for l in buf.split(b"\n")[:-1] if b"AEPROBE " in l)
    if sent < len(reqs) and lines >= sent+1:
        p.stdin.write(reqs[sent]); p.stdin.flush(); sent += 1
    if b"AEPROBE bye" in buf:
        t1=time.time()
        while time.time()-t1 < 3 and pump(0.2): pass
        break
open(out,"wb").write(buf)
try:
    p.wait(5)
except subprocess.TimeoutExpired:
    p.terminate(); p.wait(5)
print("rc", p.returncode, "elapsed", round(time.time()-t0,2))
