using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace StreamGateway.Publish;

/// <summary>
/// One <c>sendmsg(2)</c> of many buffers on a connected socket, without blocking and without allocating: a whole
/// video frame (header and payload of each of its packets) leaves in one system call.
/// </summary>
/// <remarks>
/// The runtime's own gather send keeps at most 8 buffers on the stack and allocates its iovec and pin arrays
/// above that, so a viewer's frame of ten packets went out as three sends, and on loopback every send also
/// wakes the reading player. Here the iovecs live in an array of the instance and each buffer is pinned with a
/// <see cref="GCHandle"/> (no managed allocation) only for the duration of the call. Linux only
/// (<see cref="IsSupported"/>); one send at a time: the caller holds the connection's write lock.
/// </remarks>
internal sealed unsafe partial class NonBlockingGatherSend
{
    /// <summary>Buffers one call takes at most (Linux's IOV_MAX is 1024).</summary>
    public const int MaxBuffers = 128;

    private const int MsgDontWait = 0x40;
    private const int MsgNoSignal = 0x4000;
    private const int ErrnoInterrupted = 4;
    private const int ErrnoWouldBlock = 11;

    private readonly IoVector[] _vectors = new IoVector[MaxBuffers];
    private readonly GCHandle[] _pins = new GCHandle[MaxBuffers];

    public static bool IsSupported => OperatingSystem.IsLinux() && (RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64);

    /// <summary>
    /// Sends as much of <paramref name="buffers"/> as the socket takes now. Returns the bytes sent: all of them,
    /// fewer (the socket's send buffer filled), or 0 (it was full). Throws <see cref="SocketException"/> when the
    /// connection failed.
    /// </summary>
    public long Send(Socket socket, IList<ArraySegment<byte>> buffers)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(buffers.Count, MaxBuffers, nameof(buffers));
        var count = buffers.Count;
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            // Keeps the descriptor from being closed (and its number reused) during the call.
            handle.DangerousAddRef(ref added);
            for (var i = 0; i < count; i++)
            {
                var segment = buffers[i];
                _pins[i] = GCHandle.Alloc(segment.Array, GCHandleType.Pinned);
                _vectors[i].Base = (byte*)_pins[i].AddrOfPinnedObject() + segment.Offset;
                _vectors[i].Length = (nuint)segment.Count;
            }

            fixed (IoVector* vectors = _vectors)
            {
                return SendAll(handle.DangerousGetHandle(), vectors, count);
            }
        }
        finally
        {
            for (var i = 0; i < count && _pins[i].IsAllocated; i++)
            {
                _pins[i].Free();
            }

            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static long SendAll(nint socket, IoVector* vectors, int count)
    {
        var message = new MessageHeader { Vectors = vectors, VectorCount = (nuint)count };
        while (true)
        {
            var sent = SendMessage(socket, &message, MsgDontWait | MsgNoSignal);
            if (sent >= 0)
            {
                return sent;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == ErrnoWouldBlock)
            {
                return 0;
            }

            if (errno != ErrnoInterrupted)
            {
                throw new SocketException(ToSocketError(errno));
            }
        }
    }

    // The errors a send on a connected TCP socket gives when the peer went away; anything else is reported as is.
    private static int ToSocketError(int errno) => errno switch
    {
        32 => (int)SocketError.Shutdown,          // EPIPE
        104 => (int)SocketError.ConnectionReset,  // ECONNRESET
        110 => (int)SocketError.TimedOut,         // ETIMEDOUT
        9 => (int)SocketError.OperationAborted,   // EBADF: closed under us
        _ => (int)SocketError.SocketError,
    };

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMessage(nint socket, MessageHeader* message, int flags);

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    // struct msghdr of 64-bit Linux.
    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }
}
