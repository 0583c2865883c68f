namespace MapGen;

/// <summary>Readable text for error numbers, in the words of map operations.</summary>
internal static class BpfErrnoText
{
    public static string Describe(BpfErrno errno)
    {
        string meaning = errno switch
        {
            BpfErrno.None => "no error",
            BpfErrno.EPERM => "operation not permitted (a capability such as CAP_BPF, CAP_SYS_ADMIN or CAP_NET_ADMIN is missing)",
            BpfErrno.ENOENT => "no such element or object",
            BpfErrno.E2BIG => "the map is full, the index is past max_entries, or a size is too large",
            BpfErrno.EBADF => "bad file descriptor",
            BpfErrno.ENOMEM => "out of memory",
            BpfErrno.EACCES => "permission denied",
            BpfErrno.EFAULT => "bad address",
            BpfErrno.EBUSY => "busy",
            BpfErrno.EEXIST => "the element or path already exists",
            BpfErrno.EINVAL => "invalid argument",
            BpfErrno.EMFILE => "too many open files",
            BpfErrno.ENOTSUPP => "operation not supported for this map type",
            BpfErrno.EOPNOTSUPP => "operation not supported",
            _ => "error",
        };
        return $"{errno} ({(int)errno}): {meaning}";
    }
}
