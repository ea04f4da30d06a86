namespace StreamGateway.Ingest;

/// <summary>
/// What a camera connector asks of its school: whether it may try now (while the school's link is
/// down only one camera probes), and what it tells the school (streaming, failed).
/// </summary>
public interface ISchoolGate
{
    bool MayAttempt(CameraConnector camera);

    /// <summary>Completes when the camera may attempt: the school is back and this camera's staggered turn has come.</summary>
    Task WaitForTurnAsync(CameraConnector camera, CancellationToken cancellationToken);

    void ReportStreaming(CameraConnector camera);

    void ReportFailed(CameraConnector camera);
}
