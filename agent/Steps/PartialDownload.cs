using System.Net;
using System.Net.Http.Headers;

namespace Fleet.Agent.Steps;

/// <summary>
/// The part file of one download across its attempts, and the HTTP Range rules that let an attempt
/// continue it: ask for <c>bytes=N-</c> (with <c>If-Range</c> when the response that began the file gave
/// a strong ETag or a Last-Modified); take a 206 only when its Content-Range starts at N and stays
/// under the size cap; a 200 starts the file over; a 416 starts it over once. Whatever a server says,
/// the bytes kept are only ever a prefix of one response, and the whole file is verified at the end.
/// </summary>
public sealed class PartialDownload(string path)
{
    private bool _had416;

    public string Path => path;

    /// <summary>Bytes on disk, all of them from responses accepted here.</summary>
    public long Length { get; private set; }

    /// <summary>The whole file's size when a response said it (Content-Length of a 200, Content-Range of a 206).</summary>
    public long? ExpectedTotal { get; private set; }

    /// <summary>Some bytes on disk came from a 206: the file is spliced from two responses.</summary>
    public bool Resumed { get; private set; }

    /// <summary>False once the server answered a Range request wrongly: the next attempts fetch the whole file.</summary>
    public bool RangeUsable { get; private set; } = true;

    private RangeConditionHeaderValue? Validator { get; set; }

    /// <summary>Adds Range (and If-Range) to a request when there is something to continue.</summary>
    public void Prepare(HttpRequestMessage request)
    {
        if (Length > 0 && RangeUsable)
        {
            request.Headers.Range = new RangeHeaderValue(Length, null);
            request.Headers.IfRange = Validator;
        }
    }

    /// <summary>
    /// What the response means for the file: the offset its body is written at, and a line for the
    /// step log when the file starts over. Throws <see cref="StepFailedException"/> for a definitive
    /// problem (over the size cap, a second 416) and <see cref="TransientDownloadException"/> (retry at
    /// once) after a wrong 206 or a 416.
    /// </summary>
    public (long Offset, string? Note) Accept(HttpResponseMessage response, Uri uri, long maxBytes)
    {
        var asked = response.RequestMessage?.Headers.Range is not null;
        switch (response.StatusCode)
        {
            case HttpStatusCode.PartialContent:
                return AcceptPartial(response, uri, maxBytes, asked ? Length : 0);
            case HttpStatusCode.RequestedRangeNotSatisfiable when asked && !_had416:
                _had416 = true;
                var had = Length;
                Restart();
                throw new TransientDownloadException($"{uri} answered HTTP 416 to a request for the bytes from {had}: starting over from the first byte", retryAtOnce: true);
            case HttpStatusCode.RequestedRangeNotSatisfiable:
                throw new StepFailedException($"HTTP 416 Range Not Satisfiable from {uri}, again after starting over");
            default:
                var note = Length > 0 ? $"{uri} sent the whole file (HTTP {(int)response.StatusCode}) instead of the bytes from {Length}: starting over" : null;
                Restart();
                if (response.Content.Headers.ContentLength is { } length)
                {
                    if (length > maxBytes)
                    {
                        throw new StepFailedException($"{uri} is {length} bytes, over the size cap of {maxBytes} bytes");
                    }

                    ExpectedTotal = length;
                }

                Validator = response.Headers.ETag is { IsWeak: false } etag ? new RangeConditionHeaderValue(etag)
                    : response.Content.Headers.LastModified is { } modified ? new RangeConditionHeaderValue(modified)
                    : null;
                return (0, note);
        }
    }

    private (long Offset, string? Note) AcceptPartial(HttpResponseMessage response, Uri uri, long maxBytes, long expectedStart)
    {
        var range = response.Content.Headers.ContentRange;
        var raw = response.Content.Headers.TryGetValues("Content-Range", out var values) ? string.Join(", ", values) : "(none)";
        if (range is { HasLength: true, Length: { } total } && total > maxBytes)
        {
            throw new StepFailedException($"{uri} is {total} bytes (Content-Range \"{raw}\"), over the size cap of {maxBytes} bytes");
        }

        if (range is not { Unit: "bytes", HasRange: true, From: { } from, To: { } to } || from != expectedStart || to < from
            || (range.HasLength && to >= range.Length))
        {
            Restart();
            RangeUsable = false;
            throw new TransientDownloadException($"{uri} answered HTTP 206 with Content-Range \"{raw}\" to a request for the bytes from {expectedStart}: discarding them, starting over without Range", retryAtOnce: true);
        }

        if (to >= maxBytes || (response.Content.Headers.ContentLength is { } length && from + length > maxBytes))
        {
            throw new StepFailedException($"{uri} sends bytes past the size cap of {maxBytes} bytes (Content-Range \"{raw}\")");
        }

        if (range.HasLength)
        {
            ExpectedTotal = range.Length;
        }

        Resumed |= from > 0;
        return (from, null);
    }

    /// <summary>Counts bytes appended to the file.</summary>
    public void Advance(int count) => Length += count;

    /// <summary>Empties the file: the next attempt fetches it whole.</summary>
    public void Restart()
    {
        if (File.Exists(path))
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None);
            file.SetLength(0);
        }

        Length = 0;
        ExpectedTotal = null;
        Validator = null;
        Resumed = false;
    }

    /// <summary>After a checksum mismatch of a spliced file: no more splicing for this download.</summary>
    public void RestartWithoutRange()
    {
        Restart();
        RangeUsable = false;
    }
}
