#!/usr/bin/env python3
"""Records the expected results of KernelRecordedTests by running them on the real kernel.

Run as root on Linux x86-64 (python3 record.py); it rewrites create.txt and element-ops.txt
next to this file. The process pins itself to CPU 0, which the emulated LRU assumes. The header
lines of element-ops.txt name the possible CPUs and interfaces of the machine: adjust them (and
the emulated runtime's options in the tests) when recording elsewhere.
"""
import ctypes, os, random, struct, sys
HERE = os.path.dirname(os.path.abspath(__file__))
os.sched_setaffinity(0, {0})
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
SYS_bpf = 321
_keep = []
def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 256)
    r = libc.syscall(SYS_bpf, ctypes.c_int(cmd), buf, ctypes.c_uint(256))
    e = ctypes.get_errno() if r < 0 else 0
    return (r if r >= 0 else -e), buf.raw
ERR = {0:'OK',1:'EPERM',2:'ENOENT',7:'E2BIG',9:'EBADF',12:'ENOMEM',13:'EACCES',14:'EFAULT',16:'EBUSY',17:'EEXIST',19:'ENODEV',22:'EINVAL',95:'EOPNOTSUPP',524:'ENOTSUPP',28:'ENOSPC',6:'ENXIO',3:'ESRCH',1:'EPERM'}
def name(r):
    return ERR.get(-r, str(-r)) if r < 0 else r
def create(t, k, v, m, flags=0, inner=0, nm=b"", numa=0, btf=0, kid=0, vid=0, ifindex=0, extra=0):
    attr = struct.pack("IIIIIII", t, k, v, m, flags, inner, numa) + nm.ljust(16, b"\0")[:16] + struct.pack("IIIII", ifindex, btf, kid, vid, 0) + b"\0"*4 + struct.pack("Q", extra)
    return bpf(0, attr)[0]
def _elem(cmd, fd, key, val, flags=0):
    kb = ctypes.create_string_buffer(key, max(len(key),1)) if key is not None else None
    vb = ctypes.create_string_buffer(val, max(len(val),1)) if val is not None else None
    attr = struct.pack("IIQQQ", fd, 0, ctypes.addressof(kb) if kb is not None else 0, ctypes.addressof(vb) if vb is not None else 0, flags)
    r, _ = bpf(cmd, attr)
    return r, (vb.raw[:len(val)] if vb is not None else None)
def update(fd, key, val, flags=0): return _elem(2, fd, key, val, flags)[0]
def lookup(fd, key, vsize, flags=0):
    return _elem(1, fd, key, b"\0"*vsize, flags)
def delete(fd, key): return _elem(3, fd, key, None)[0]
def next_key(fd, key, ksize): return _elem(4, fd, key, b"\0"*ksize)
def u32(x): return struct.pack("I", x)
def info(fd):
    ib = ctypes.create_string_buffer(128)
    attr = struct.pack("IIQ", fd, 128, ctypes.addressof(ib))
    r, _ = bpf(15, attr)
    if r < 0: return r
    t, i, k, v, m, f = struct.unpack_from("IIIIII", ib.raw)
    nm = ib.raw[24:40].split(b"\0")[0]
    return dict(type=t, id=i, key=k, value=v, max=m, flags=hex(f), name=nm)
def fd_by_id(i, open_flags=0):
    return bpf(14, struct.pack("III", i, 0, open_flags))[0]
def close(fd): os.close(fd)
def update_batch(fd, keys, vals, count, elem_flags=0):
    kb = ctypes.create_string_buffer(keys, max(len(keys),1)); vb = ctypes.create_string_buffer(vals, max(len(vals),1))
    attr = struct.pack("QQQQIIQQ", 0, 0, ctypes.addressof(kb), ctypes.addressof(vb), count, fd, elem_flags, 0)
    r, raw = bpf(26, attr)
    cnt = struct.unpack_from("I", raw, 32)[0]
    return r, cnt
def pin(fd, path):
    pb = ctypes.create_string_buffer(path.encode())
    return bpf(6, struct.pack("QII", ctypes.addressof(pb), fd, 0))[0]
def get(path, flags=0):
    pb = ctypes.create_string_buffer(path.encode())
    return bpf(7, struct.pack("QII", ctypes.addressof(pb), 0, flags))[0]
T = dict(Hash=1, Array=2, ProgArray=3, PerfEventArray=4, PerCpuHash=5, PerCpuArray=6, StackTrace=7, CgroupArray=8, LruHash=9, LruPerCpuHash=10, LpmTrie=11, ArrayOfMaps=12, HashOfMaps=13, DevMap=14, SockMap=15, CpuMap=16, XskMap=17, SockHash=18, CgroupStorage=19, ReuseportSockArray=20, PerCpuCgroupStorage=21, Queue=22, Stack=23, SkStorage=24, DevMapHash=25, StructOps=26, RingBuf=27, InodeStorage=28, TaskStorage=29, BloomFilter=30, UserRingBuf=31, CgrpStorage=32, Arena=33)

def record_traces():
    os.sched_setaffinity(0,{0})
    random.seed(618)
    NCPU=2
    out=[]
    def hx(b): return b.hex() if b else "-"
    def rnd(n): return bytes(random.randrange(256) for _ in range(n))
    def uvs(t,v): return ((v+7)//8*8)*NCPU if t in (5,6,10) else v
    def keys_of(fd, ks, ordered):
        res=[]; k=None; seen=0
        while seen < 100000:
            r,nk=next_key(fd,k,ks)
            if r<0: break
            res.append(nk); k=nk; seen+=1
        if not ordered: res=sorted(res)
        return res
    def scenario(title, t, k, v, m, flags, nops, keygen, valgen, flaggen, ops=("update","lookup","delete","next")):
        fd=create(t,k,v,m,flags)
        out.append(f"scenario {title}")
        out.append(f"create {t} {k} {v} {m} {flags} => {max(fd,-100000) if fd<0 else 0}")
        assert fd>=0, (title, fd)
        ordered = (flags & (1<<6)) != 0 or t in (2,6,14)
        uv=uvs(t,v)
        for i in range(nops):
            op=random.choice(ops)
            key=keygen()
            if op=="update":
                val=valgen(); fl=flaggen()
                r=update(fd,key,val,fl)
                out.append(f"update {hx(key)} {hx(val)} {fl} => {-r}")
            elif op=="lookup":
                r,val=lookup(fd,key,uv)
                out.append(f"lookup {hx(key)} => {-r}" + (f" {hx(val)}" if r==0 else ""))
            elif op=="delete":
                r=delete(fd,key)
                out.append(f"delete {hx(key)} => {-r}")
            else:
                kk = None if random.random()<0.3 else key
                r,nk=next_key(fd,kk,k)
                out.append(f"next {hx(kk)} => {-r}" + (f" {hx(nk)}" if r==0 else ""))
            if i%20==19:
                ks=keys_of(fd,k,ordered)
                out.append(("keys" if ordered else "keyset")+" => "+(",".join(hx(x) for x in ks) if ks else "-"))
        ks=keys_of(fd,k,ordered)
        out.append(("keys" if ordered else "keyset")+" => "+(",".join(hx(x) for x in ks) if ks else "-"))
        out.append("end")
        close(fd)
    u=lambda x: struct.pack("I",x)
    fl_any=lambda: random.choice([0,0,0,1,2,3,4,8])
    fl_basic=lambda: random.choice([0,0,0,1,2])
    ZS=1<<6
    scenario("array", 2, 4, 8, 8, 0, 200, lambda: u(random.randrange(12)), lambda: rnd(8), fl_any)
    scenario("array-odd-value", 2, 4, 3, 5, 0, 100, lambda: u(random.randrange(7)), lambda: rnd(3), fl_basic)
    scenario("percpu-array", 6, 4, 4, 4, 0, 150, lambda: u(random.randrange(6)), lambda: rnd(16), fl_any)
    scenario("hash-zero-seed", 1, 4, 8, 16, ZS, 400, lambda: u(random.randrange(40)), lambda: rnd(8), fl_any)
    scenario("hash-key5", 1, 5, 3, 8, ZS, 300, lambda: bytes([random.randrange(3)])+b"ab"+bytes([random.randrange(6)])+b"z", lambda: rnd(3), fl_basic)
    scenario("hash-noprealloc-key12", 1, 12, 16, 10, ZS|1, 300, lambda: u(random.randrange(4))+u(7)+u(random.randrange(5)), lambda: rnd(16), fl_basic)
    scenario("hash-random-seed", 1, 8, 4, 12, 0, 300, lambda: struct.pack("Q", random.randrange(30)), lambda: rnd(4), fl_basic, ops=("update","lookup","delete"))
    scenario("percpu-hash", 5, 4, 12, 8, ZS, 300, lambda: u(random.randrange(20)), lambda: rnd(32), fl_any)
    scenario("lru-hash", 9, 4, 8, 32, ZS, 1500, lambda: u(random.randrange(100)), lambda: rnd(8), fl_basic)
    scenario("lru-hash-small", 9, 4, 4, 5, ZS, 600, lambda: u(random.randrange(12)), lambda: rnd(4), fl_any)
    scenario("lru-hash-sequential", 9, 4, 8, 1000, ZS, 0, lambda: u(0), lambda: rnd(8), fl_basic)
    # sequential inserts: the SPEC's 3000-into-1000 case
    fd_i=len(out)-2
    seq_lines=[]
    fd=create(9,4,8,1000,ZS)
    for i in range(3000):
        r=update(fd,u(i),b"\0"*8)
        seq_lines.append(f"update {hx(u(i))} {hx(bytes(8))} 0 => {-r}")
    ks=keys_of(fd,4,True)
    close(fd)
    out[fd_i:fd_i]=seq_lines
    out[fd_i+len(seq_lines)]="keys => "+",".join(hx(x) for x in ks)
    scenario("lru-hash-no-common-lru", 9, 4, 8, 30, ZS|2, 800, lambda: u(random.randrange(60)), lambda: rnd(8), fl_basic)
    scenario("lru-percpu-hash", 10, 4, 8, 20, ZS, 800, lambda: u(random.randrange(50)), lambda: rnd(16), fl_basic)
    scenario("lru-percpu-hash-no-common-lru", 10, 4, 4, 11, ZS|2, 600, lambda: u(random.randrange(30)), lambda: rnd(16), fl_basic)
    dv4=lambda: u(random.choice([0,1,1,2,3,4,5,99]))
    dv8=lambda: u(random.choice([0,1,2,3,4,7]))+struct.pack("i", random.choice([0,0,0,-1,1000]))
    scenario("devmap", 14, 4, 4, 6, 0, 200, lambda: u(random.randrange(8)), dv4, fl_any)
    scenario("devmap-8", 14, 4, 8, 4, 0, 200, lambda: u(random.randrange(6)), dv8, fl_any)
    scenario("devmap-hash", 25, 4, 4, 5, 0, 300, lambda: u(random.randrange(12)), dv4, fl_any)
    scenario("devmap-hash-8", 25, 4, 8, 4, 0, 200, lambda: u(random.randrange(9)), dv8, fl_any)
    scenario("stack-trace", 7, 4, 16, 10, 0, 60, lambda: u(random.randrange(20)), lambda: rnd(16), fl_basic)
    fdv=lambda: struct.pack("i", random.choice([0,1,2,-1,100000]))
    scenario("prog-array", 3, 4, 4, 4, 0, 80, lambda: u(random.randrange(6)), fdv, fl_basic)
    scenario("perf-event-array", 4, 4, 4, 4, 0, 60, lambda: u(random.randrange(6)), fdv, fl_basic)
    scenario("cgroup-array", 8, 4, 4, 4, 0, 60, lambda: u(random.randrange(6)), fdv, fl_basic)
    hdr=["# Recorded by running these operations against Linux 6.18 (x86-64, 2 possible CPUs, one process pinned to CPU 0;",
         "# interfaces lo=1 eth0=2 ifb0=3 ifb1=4). Errnos are positive; values and keys are hex; '-' is an empty key.",
         "cpus 2", "interfaces 1,2,3,4"]
    open(os.path.join(HERE, "element-ops.txt"), "w").write("\n".join(hdr+out)+"\n")
    print(len(out))

def record_creates():
    random.seed(6180)
    NCPU=2
    lines=[]
    KEYS=[0,1,3,4,5,8,12,16,260,261,512,513]
    VALS=[0,1,3,4,8,12,16,32,64,1016,1024,32768,32769,65407,65408,4194024,4194025,4194304,4194305]
    SMALLMAX=[0,1,2,3,4,7,64,256,257,4096,8192,12288]
    BIGMAX=[(1<<27),(1<<27)+1,(1<<31),(1<<31)+1,0xffffffff,(1<<20),(1<<20)+1]
    STORAGELESS={7,11,15,16,17,18,19,20,21,22,23,24,26,27,28,29,30,31,32,33,3,4,8}
    def case(t):
        k=random.choice(KEYS); v=random.choice(VALS)
        # mostly-valid shapes per type so that the deep checks are reached
        if random.random()<0.5:
            k={1:4,5:4,9:8,10:4,2:4,6:4,3:4,4:4,8:4,7:4,11:8,14:4,25:4,15:4,16:4,17:4,18:4,19:8,21:16,20:4,22:0,23:0,30:0,24:4,28:4,29:4,32:4,26:4,27:0,31:0,33:0}.get(t,k)
            v={3:4,4:4,8:4,7:16,14:random.choice([4,8]),25:random.choice([4,8]),15:8,16:4,17:4,18:4,20:8,27:0,31:0,33:0}.get(t,random.choice([4,8,16,3]))
        big={1:[(1<<27)+1,(1<<31)+1,0xffffffff],5:[(1<<27)+1,0xffffffff],9:[(1<<31)+1],10:[(1<<27)+1],7:[(1<<31)+1,0xffffffff],18:[(1<<27)+1],25:[(1<<31)+1],33:[(1<<20),(1<<20)+1]}.get(t,[])
        mx=random.choice(SMALLMAX+big*3)
        if t in (27,31): mx=random.choice([4096,8192,4095,12288,0,1<<20])
        if t in (19,21,24,28,29,32) and random.random()<0.6: mx=0
        per=(v+7)//8*8*(NCPU if t in (5,6,10,21) else 1)
        if per*mx > (64<<20) and mx < (1<<27): mx=random.choice([0,1,2])
        if t in (9,10) and mx>4096 and mx<(1<<27): mx=4096
        fl=0
        r=random.random()
        if r<0.3: fl=1<<random.randrange(19)
        elif r<0.5: fl=(1<<random.randrange(19))|(1<<random.randrange(19))
        elif r<0.55: fl=random.choice([1<<16,1<<3|1<<4,1<<7|1<<8, 1<<10, 1|1<<6])
        if t==11 and random.random()<0.7: fl|=1
        if t==33 and random.random()<0.7: fl|=1<<10
        if t in (24,28,29,32) and random.random()<0.7: fl|=1
        numa=random.choice([0,0,1,0xffffffff]) if fl&4 else random.choice([0,0,5])
        bk=bv=bfd=0
        rr=random.random()
        if rr<0.08: bk,bv,bfd=1,2,random.choice([0,100000])
        elif rr<0.12: bk,bv,bfd=1,0,0
        elif rr<0.14: bk,bv,bfd=0,2,100000
        nm=random.choice([b"",b"",b"",b"flows",b"a.b_9",b"bad-name",b"x"*15,b"x"*16])
        return (t,k,v,mx,fl,numa,bk,bv,bfd,nm)
    types=[0]+list(range(1,12))+list(range(14,35))
    for t in types:
        for _ in range(70 if t not in (0,34) else 5):
            c=case(t)
            t_,k,v,mx,fl,numa,bk,bv,bfd,nm=c
            r=create(t_,k,v,mx,fl,0,nm,numa,bfd,bk,bv)
            res=f"{-r}" if r<0 else "0"
            if r>=0:
                i=info(r); res+=f" {i['max']} {int(i['flags'],16)}"; close(r)
            lines.append(f"{t_} {k} {v} {mx} {fl} {numa} {bk} {bv} {bfd} {nm.decode() or '-'} => {res}")
    hdr=["# BPF_MAP_CREATE on Linux 6.18 (x86-64, 2 possible CPUs, 1 NUMA node, root). Columns: type key_size value_size",
         "# max_entries map_flags numa_node btf_key_type_id btf_value_type_id btf_fd name => errno [reported max_entries flags].",
         "# Outer maps are left out (they need an inner-map fd of this process)."]
    open(os.path.join(HERE, "create.txt"), "w").write("\n".join(hdr+lines)+"\n")
    import collections
    print(collections.Counter(l.split("=> ")[1].split()[0] for l in lines))

if __name__ == '__main__':
    record_traces()
    record_creates()
