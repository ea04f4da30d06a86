using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace StreamGateway.Publish;

/// <summary>
/// A reusable gather send for one connection. <c>Socket.SendAsync(IList&lt;ArraySegment&lt;byte&gt;&gt;)</c> returns a
/// new <c>Task&lt;int&gt;</c> per call (72 bytes per media batch, so per packet at live rates); this completes a
/// <see cref="ValueTask"/> backed by itself instead. One send at a time: the caller holds the write lock.
/// </summary>
internal sealed class GatherSendArgs : SocketAsyncEventArgs, IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _source;

    public GatherSendArgs()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        // The completion runs on a socket engine thread: the sender loop continues on the pool, not there.
        _source.RunContinuationsAsynchronously = true;
    }

    /// <summary>Sends every byte of <paramref name="buffers"/>; throws <see cref="SocketException"/> on failure.</summary>
    public ValueTask SendAsync(Socket socket, IList<ArraySegment<byte>> buffers)
    {
        _source.Reset();
        BufferList = buffers;
        if (socket.SendAsync(this))
        {
            return new ValueTask(this, _source.Version);
        }

        var error = SocketError;
        BufferList = null;
        return error == SocketError.Success ? default : ValueTask.FromException(new SocketException((int)error));
    }

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        var error = SocketError;
        BufferList = null;
        if (error == SocketError.Success)
        {
            _source.SetResult(true);
        }
        else
        {
            _source.SetException(new SocketException((int)error));
        }
    }

    void IValueTaskSource.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);
}
