using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace MapGen.Emulation;

/// <summary>
/// An in-process model of the kernel's map subsystem as Linux 6.18 behaves from user space: an fd
/// table (fds from 3 up, the lowest free one reused; 0-2 are the standard streams, open but not
/// maps), map IDs (from 1, never reused while the runtime lives), a pin namespace, and map
/// objects that live while an fd, a pin or an outer-map slot holds them.
/// </summary>
/// <remarks>
/// <para>
/// <b>Map types.</b> Creation applies each type's kernel checks, so any type can be created (or
/// refused with the kernel's errno), opened, pinned, and used as an inner-map template. Element
/// operations are emulated with the kernel's semantics for <see cref="BpfMapType.Array"/>,
/// <see cref="BpfMapType.PerCpuArray"/>, <see cref="BpfMapType.Hash"/>,
/// <see cref="BpfMapType.PerCpuHash"/>, <see cref="BpfMapType.LruHash"/>,
/// <see cref="BpfMapType.LruPerCpuHash"/> (the kernel's LRU algorithm, run as if every system
/// call ran on CPU 0), <see cref="BpfMapType.DevMap"/>, <see cref="BpfMapType.DevMapHash"/>,
/// <see cref="BpfMapType.ArrayOfMaps"/> and <see cref="BpfMapType.HashOfMaps"/>.
/// <see cref="BpfMapType.ProgArray"/>, <see cref="BpfMapType.PerfEventArray"/>,
/// <see cref="BpfMapType.CgroupArray"/> and <see cref="BpfMapType.StackTrace"/> behave as the
/// kernel's do when no program, perf event, cgroup or stack exists (always empty; updates fail
/// with the kernel's errno). Every other type returns <see cref="BpfErrno.ENOTSUPP"/> from all
/// element operations. No BTF objects, programs or tokens exist: creation attributes that name
/// one fail as they would with an fd that is not one. The emulated machine has one NUMA node (0).
/// </para>
/// <para>
/// <b>Thread safety.</b> Everything may be called from any thread. As in the kernel, each
/// element operation is atomic: a lookup sees a value entirely before or entirely after a
/// concurrent update, never half of it. Walking keys with <c>get_next_key</c> is not a snapshot:
/// concurrent updates and deletes may be seen or not, and a walk whose previous key was deleted
/// restarts at the first key of a hash map. Lookups take no lock; updates and deletes lock the
/// map (outer maps: the runtime, which also guards fds, IDs, pins and reference counts).
/// </para>
/// </remarks>
internal sealed class EmulatedRuntime : BpfRuntime
{
    /// <summary>The first fd a map gets: 0, 1 and 2 are the standard streams.</summary>
    private const int FirstFd = 3;

    private readonly Lock _gate = new();
    private readonly List<OpenFile?> _fds = [null, null, null];
    private readonly Dictionary<uint, KernelMap> _maps = [];
    private readonly Dictionary<string, KernelMap> _pins = new(StringComparer.Ordinal);
    private readonly HashSet<uint> _interfaces = [];
    private readonly string[] _bpffsMountPoints;
    private readonly int _possibleCpus;
    private int _lowestFreeFd = FirstFd;
    private uint _lastId;

    public EmulatedRuntime(EmulatedRuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _possibleCpus = options.PossibleCpus;
        foreach (EmulatedNetworkInterface iface in options.NetworkInterfaces)
        {
            _interfaces.Add((uint)iface.IfIndex);
        }

        _bpffsMountPoints = options.BpffsMountPoints
            .Select(mount => ResolvePinPath(mount, out string resolved) == BpfErrno.None ? resolved : mount)
            .ToArray();
    }

    public override int PossibleCpus => _possibleCpus;

    public override bool IsEmulated => true;

    /// <summary>Guards the fd table, IDs, pins, reference counts and outer-map slots.</summary>
    internal Lock Gate => _gate;

    /// <summary>The number of live map objects (for tests of lifetimes).</summary>
    internal int LiveMapCount
    {
        get
        {
            lock (_gate)
            {
                return _maps.Count;
            }
        }
    }

    /// <summary>The number of open map fds (for tests of lifetimes; the standard streams do not count).</summary>
    internal int OpenFdCount
    {
        get
        {
            lock (_gate)
            {
                int open = 0;
                for (int fd = FirstFd; fd < _fds.Count; fd++)
                {
                    if (_fds[fd] is not null)
                    {
                        open++;
                    }
                }

                return open;
            }
        }
    }

    internal bool HasInterface(uint ifindex) => _interfaces.Contains(ifindex);

    /// <summary>Whether <paramref name="fd"/> is open (a standard stream or a map).</summary>
    internal bool FdExists(int fd)
    {
        lock (_gate)
        {
            return fd >= 0 && (fd < FirstFd || (fd < _fds.Count && _fds[fd] is not null));
        }
    }

    /// <summary>
    /// <c>bpf_map_fd_get_ptr</c>: the map behind <paramref name="fd"/>, if the template accepts it
    /// (<see cref="BpfErrno.EBADF"/> for no fd, <see cref="BpfErrno.EINVAL"/> for an fd that is
    /// not a map or a map that does not fit). Caller holds <see cref="Gate"/>.
    /// </summary>
    internal BpfErrno GetInnerMapLocked(int fd, InnerTemplate template, out KernelMap? map)
    {
        BpfErrno errno = ResolveMapLocked(fd, out map);
        if (errno == BpfErrno.None && !template.Accepts(map!))
        {
            map = null;
            errno = BpfErrno.EINVAL;
        }

        return errno;
    }

    /// <summary>Drops one reference; the last one frees the map and what it holds. Caller holds <see cref="Gate"/>.</summary>
    internal void ReleaseLocked(KernelMap map)
    {
        if (--map.References == 0)
        {
            _maps.Remove(map.Id);
            map.Free(this);
        }
    }

    /// <summary>
    /// Maps <paramref name="map"/>'s values; as in the kernel (where the mapping holds the map's
    /// file), the mapping holds the map object until it is unmapped, so the map can still be
    /// opened by ID while only a view is left of it.
    /// </summary>
    internal BpfErrno MapValues(KernelMap map, out MappedValues? mapped)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            BpfErrno errno = map.MapValues(out MappedValues? storage);
            if (errno != BpfErrno.None)
            {
                mapped = null;
                return errno;
            }

            map.References++;
            mapped = new HeldValues(this, map, storage!);
            return BpfErrno.None;
        }
    }

    /// <summary>A map's mapped storage that holds a reference on the map object until unmapped.</summary>
    private sealed unsafe class HeldValues(EmulatedRuntime runtime, KernelMap map, MappedValues storage)
        : MappedValues(storage.Address, storage.Length)
    {
        protected override void Unmap()
        {
            storage.Release();
            lock (runtime._gate)
            {
                // A disposed runtime dropped its maps already.
                if (!runtime.IsDisposed)
                {
                    runtime.ReleaseLocked(map);
                }
            }
        }
    }

    internal void Close(int fd, OpenFile file)
    {
        lock (_gate)
        {
            if (fd < _fds.Count && ReferenceEquals(_fds[fd], file))
            {
                _fds[fd] = null;
                _lowestFreeFd = Math.Min(_lowestFreeFd, fd);
                ReleaseLocked(file.Map);
            }
        }
    }

    internal BpfErrno Duplicate(OpenFile file, out BpfMap? duplicate)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            duplicate = OpenLocked(file.Map, file.CanRead, file.CanWrite, owned: true);
            return BpfErrno.None;
        }
    }

    internal BpfErrno Pin(KernelMap map, string path)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            BpfErrno errno = ResolvePinPath(path, out path);
            if (errno != BpfErrno.None)
            {
                return errno;
            }

            // bpf_obj_do_pin: the new name must be in a bpffs directory; a mount point itself exists already.
            switch (PlaceOf(path))
            {
                case PinPlace.OutsideBpffs:
                    return BpfErrno.EPERM;
                case PinPlace.MountPoint:
                    return BpfErrno.EEXIST;
            }

            if (!_pins.TryAdd(path, map))
            {
                return BpfErrno.EEXIST;
            }

            map.References++;
            return BpfErrno.None;
        }
    }

    internal override BpfErrno UnlinkPin(string path)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            BpfErrno errno = ResolvePinPath(path, out path);
            if (errno != BpfErrno.None)
            {
                return errno;
            }

            if (PlaceOf(path) == PinPlace.MountPoint)
            {
                // unlink(2) of a directory.
                return BpfErrno.EISDIR;
            }

            if (!_pins.Remove(path, out KernelMap? map))
            {
                return BpfErrno.ENOENT;
            }

            ReleaseLocked(map);
            return BpfErrno.None;
        }
    }

    private protected override BpfErrno TryOpenPinnedCore(string path, out BpfMap? map)
    {
        lock (_gate)
        {
            BpfErrno errno = ResolvePinPath(path, out path);
            if (errno == BpfErrno.None && PlaceOf(path) == PinPlace.MountPoint)
            {
                // bpf_obj_do_get: a directory is no BPF object.
                errno = BpfErrno.EACCES;
            }

            if (errno != BpfErrno.None || !_pins.TryGetValue(path, out KernelMap? pinned))
            {
                map = null;
                return errno == BpfErrno.None ? BpfErrno.ENOENT : errno;
            }

            map = OpenLocked(pinned, canRead: true, canWrite: true, owned: true);
            return BpfErrno.None;
        }
    }

    private protected override BpfErrno TryOpenByFdCore(int fd, out BpfMap? map)
    {
        lock (_gate)
        {
            BpfErrno errno = ResolveMapLocked(fd, out _);
            if (errno != BpfErrno.None)
            {
                map = null;
                return errno;
            }

            // A duplicate of the open file: the same map, read and write rights as that fd has.
            OpenFile file = _fds[fd]!;
            map = OpenLocked(file.Map, file.CanRead, file.CanWrite, owned: true);
            return BpfErrno.None;
        }
    }

    private protected override BpfErrno TryOpenByIdCore(uint id, bool owned, out BpfMap? map)
    {
        lock (_gate)
        {
            if (!_maps.TryGetValue(id, out KernelMap? found))
            {
                map = null;
                return BpfErrno.ENOENT;
            }

            map = OpenLocked(found, canRead: true, canWrite: true, owned);
            return BpfErrno.None;
        }
    }

    /// <summary>The emulated kernel has no BTF objects: its maps are created without key/value BTF.</summary>
    private protected override BpfBtf LoadBtfCore(ReadOnlySpan<byte> btf) =>
        throw new NotSupportedException(
            "The emulated runtime has no BTF objects (maps it creates carry no key/value BTF); load BTF with BpfRuntime.CreateNative().");

    /// <summary><c>map_create</c>: the generic checks, the type's checks, the inner template, the name, BTF, then an ID and an fd.</summary>
    private protected override BpfErrno TryCreateMapCore(BpfMapCreateOptions options, out BpfMap? map)
    {
        map = null;
        // BPF_F_TOKEN_FD is taken off the flags before any per-type check sees them.
        bool tokenFlag = (options.Flags & BpfMapFlags.TokenFd) != 0;
        BpfMapFlags flags = options.Flags & ~BpfMapFlags.TokenFd;
        int numaNode = (flags & BpfMapFlags.NumaNode) != 0 ? unchecked((int)options.NumaNode) : -1;

        if (options.BtfKeyTypeId != 0 && options.BtfValueTypeId == 0)
        {
            return BpfErrno.EINVAL;
        }

        if ((flags & BpfMapRules.FdOnlyFlags) == BpfMapRules.FdOnlyFlags)
        {
            return BpfErrno.EINVAL;
        }

        if (numaNode != -1 && numaNode != 0)
        {
            return BpfErrno.EINVAL;
        }

        if (options.Type is BpfMapType.Unspec or > BpfMapType.Arena)
        {
            return BpfErrno.EINVAL;
        }

        var request = new CreateRequest(options.Type, options.KeySize, options.ValueSize, options.MaxEntries, flags, numaNode,
            options.BtfKeyTypeId, options.BtfValueTypeId, _possibleCpus);
        BpfErrno errno = MapCreation.AllocCheck(request);
        if (errno != BpfErrno.None)
        {
            return errno;
        }

        if (tokenFlag)
        {
            // map_token_fd is not an attribute MapGen passes: fd 0, which is not a BPF token.
            return BpfErrno.EINVAL;
        }

        InnerTemplate? template = null;
        if (BpfMapRules.IsOuter(options.Type))
        {
            errno = ReadTemplate(options.InnerMapFd, out template);
            if (errno != BpfErrno.None)
            {
                return errno;
            }
        }

        errno = MapCreation.AllocAttributes(request, out MapAttributes attributes);
        if (errno != BpfErrno.None)
        {
            return errno;
        }

        errno = MapCreation.Allocate(this, attributes, template, out KernelMap? created);
        if (errno != BpfErrno.None)
        {
            return errno;
        }

        if (!TryParseName(options.Name, out string name))
        {
            return BpfErrno.EINVAL;
        }

        lock (_gate)
        {
            ThrowIfDisposed();
            if (options.BtfKeyTypeId != 0 || options.BtfValueTypeId != 0)
            {
                // btf_get_by_fd: there are no BTF objects here, so the fd is either none or not BTF.
                int fd = options.BtfFd;
                return fd >= 0 && (fd < FirstFd || (fd < _fds.Count && _fds[fd] is not null)) ? BpfErrno.EINVAL : BpfErrno.EBADF;
            }

            if (_lastId == int.MaxValue)
            {
                // The kernel's IDs are positive ints; these are never reused.
                return BpfErrno.ENOSPC;
            }

            created!.Publish(++_lastId, name);
            _maps.Add(created.Id, created);
            map = OpenLocked(created, canRead: (flags & BpfMapFlags.WrOnly) == 0, canWrite: (flags & BpfMapFlags.RdOnly) == 0, owned: true);
            return BpfErrno.None;
        }
    }

    private protected override void DisposeCore()
    {
        lock (_gate)
        {
            foreach (KernelMap map in _maps.Values)
            {
                map.OnRuntimeDisposed();
            }

            _fds.Clear();
            _pins.Clear();
            _maps.Clear();
        }
    }

    /// <summary><c>bpf_map_meta_alloc</c>: the template must be a map, not an outer map, and of a type that has <c>map_meta_equal</c>.</summary>
    private BpfErrno ReadTemplate(int fd, out InnerTemplate? template)
    {
        template = null;
        lock (_gate)
        {
            BpfErrno errno = ResolveMapLocked(fd, out KernelMap? inner);
            if (errno != BpfErrno.None)
            {
                return errno;
            }

            if (inner!.IsOuter)
            {
                return BpfErrno.EINVAL;
            }

            if (!inner.HasMetaEqual)
            {
                return BpfErrno.ENOTSUPP;
            }

            template = InnerTemplate.Of(inner);
            return BpfErrno.None;
        }
    }

    /// <summary><c>__bpf_map_get</c>: <see cref="BpfErrno.EBADF"/> when no such fd is open, <see cref="BpfErrno.EINVAL"/> when it is not a map.</summary>
    private BpfErrno ResolveMapLocked(int fd, out KernelMap? map)
    {
        map = null;
        if (fd < 0 || fd >= _fds.Count)
        {
            return BpfErrno.EBADF;
        }

        if (fd < FirstFd)
        {
            return BpfErrno.EINVAL;
        }

        map = _fds[fd]?.Map;
        return map is null ? BpfErrno.EBADF : BpfErrno.None;
    }

    private EmulatedMap OpenLocked(KernelMap map, bool canRead, bool canWrite, bool owned)
    {
        int fd = _lowestFreeFd;
        while (fd < _fds.Count && _fds[fd] is not null)
        {
            fd++;
        }

        var file = new OpenFile(map, canRead, canWrite);
        if (fd == _fds.Count)
        {
            _fds.Add(file);
        }
        else
        {
            _fds[fd] = file;
        }

        _lowestFreeFd = fd + 1;
        map.References++;
        return new EmulatedMap(this, file, fd, owned);
    }

    private enum PinPlace
    {
        InBpffs,
        MountPoint,
        OutsideBpffs,
    }

    /// <summary>Where a resolved path lies: below a bpffs mount point, at one, or outside every one.</summary>
    private PinPlace PlaceOf(string resolvedPath)
    {
        foreach (string mount in _bpffsMountPoints)
        {
            if (string.Equals(resolvedPath, mount, StringComparison.Ordinal))
            {
                return PinPlace.MountPoint;
            }

            if (resolvedPath.StartsWith(mount, StringComparison.Ordinal) && (mount == "/" || resolvedPath[mount.Length] == '/'))
            {
                return PinPlace.InBpffs;
            }
        }

        return PinPlace.OutsideBpffs;
    }

    /// <summary>Why a pin at <paramref name="path"/> failed, in the words of this runtime's bpffs mount points.</summary>
    internal override string? PinHint(BpfErrno errno, string path) => errno == BpfErrno.EPERM
        ? $"'{path}' is not in a bpf filesystem; the emulated runtime's are {string.Join(", ", _bpffsMountPoints)} (EmulatedRuntimeOptions.BpffsMountPoints)."
        : base.PinHint(errno, path);

    /// <summary>The kernel's <c>PATH_MAX</c>: a path of this many bytes or more is too long.</summary>
    private const int PathMax = 4096;

    /// <summary>The kernel's <c>NAME_MAX</c>: the longest path component, in bytes.</summary>
    private const int NameMax = 255;

    /// <summary>
    /// Pins live in one namespace of absolute paths (no bpffs or directories are involved), which
    /// are resolved as the kernel's path walk resolves them: empty components (<c>//</c>) and
    /// <c>.</c> name the directory they are in, <c>..</c> its parent, so that every spelling of a
    /// path names the same pin. A path with a NUL is <see cref="BpfErrno.EINVAL"/> (the native
    /// runtime cannot pass it), one of <c>PATH_MAX</c> bytes or more, or with a component over
    /// <c>NAME_MAX</c> bytes, <see cref="BpfErrno.ENAMETOOLONG"/>; a relative path, which the
    /// emulation has no working directory for, <see cref="BpfErrno.EINVAL"/>.
    /// </summary>
    private static BpfErrno ResolvePinPath(string path, out string resolved)
    {
        resolved = path;
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            return BpfErrno.EINVAL;
        }

        if (System.Text.Encoding.UTF8.GetByteCount(path) >= PathMax)
        {
            return BpfErrno.ENAMETOOLONG;
        }

        if (!path.StartsWith('/'))
        {
            return BpfErrno.EINVAL;
        }

        var components = new List<string>();
        foreach (string component in path.Split('/'))
        {
            if (System.Text.Encoding.UTF8.GetByteCount(component) > NameMax)
            {
                return BpfErrno.ENAMETOOLONG;
            }

            if (component.Length == 0 || component == ".")
            {
                continue;
            }

            if (component == "..")
            {
                if (components.Count > 0)
                {
                    components.RemoveAt(components.Count - 1);
                }

                continue;
            }

            components.Add(component);
        }

        resolved = "/" + string.Join('/', components);
        return BpfErrno.None;
    }

    /// <summary>
    /// <c>bpf_obj_name_cpy</c>: up to 15 characters of <c>[A-Za-z0-9_.]</c>, ending at the end of
    /// the string or at a NUL.
    /// </summary>
    private static bool TryParseName(string? text, out string name)
    {
        name = text ?? string.Empty;
        int nul = name.IndexOf('\0', StringComparison.Ordinal);
        if (nul >= 0)
        {
            name = name[..nul];
        }

        if (name.Length > BpfMapSpec.MaxNameLength)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>An open fd of a map (the kernel's <c>struct file</c>): the map, and whether user space may read or write through it.</summary>
internal sealed record OpenFile(KernelMap Map, bool CanRead, bool CanWrite);
