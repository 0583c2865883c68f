using System.Diagnostics;
using System.Text;

namespace MapGen.Package.Tests.Infrastructure;

/// <summary>The outcome of a child process: exit code and everything it wrote.</summary>
/// <param name="Command">The command line, for messages.</param>
/// <param name="ExitCode">The exit code; -1 when the process timed out and was killed.</param>
/// <param name="TimedOut">Whether the process was killed for running past its timeout.</param>
/// <param name="Output">Standard output and standard error, interleaved as they arrived.</param>
/// <param name="StandardOutput">Standard output alone.</param>
/// <param name="StandardError">Standard error alone.</param>
/// <param name="Duration">Wall-clock time from start to exit.</param>
public sealed record ProcessResult(
    string Command, int ExitCode, bool TimedOut, string Output, string StandardOutput, string StandardError, TimeSpan Duration)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;

    public override string ToString() =>
        $"$ {Command}{Environment.NewLine}" +
        $"({(TimedOut ? "TIMED OUT, killed" : $"exit code {ExitCode}")} after {Duration.TotalSeconds:F1} s){Environment.NewLine}" +
        Output;
}

/// <summary>
/// Runs a child process with a timeout and captures its output. It does not wait for end of
/// output without bound: a grandchild that inherits the pipes (a build server, say) must not
/// hang a test once the process itself has exited.
/// </summary>
public static class ProcessRunner
{
    /// <summary>How long to wait for the pipes to drain once the process has exited.</summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(10);

    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null,
        CancellationToken cancellationToken = default)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        string command = string.Join(' ', new[] { fileName }.Concat(startInfo.ArgumentList.Select(Quote)));
        var all = new StringBuilder();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var stdoutClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderrClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        using var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Collect(e.Data, stdout, stdoutClosed);
        process.ErrorDataReceived += (_, e) => Collect(e.Data, stderr, stderrClosed);
        process.Exited += (_, _) => exited.TrySetResult();

        var stopwatch = Stopwatch.StartNew();
        process.Start();
        // Like CI, the child gets no input: anything that prompts fails instead of waiting.
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        bool timedOut = false;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(timeout);
            try
            {
                await exited.Task.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                KillTree(process);
                await exited.Task.WaitAsync(DrainGrace, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        stopwatch.Stop();
        await Task.WhenAll(stdoutClosed.Task, stderrClosed.Task).WaitAsync(DrainGrace, CancellationToken.None)
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        int exitCode = timedOut || !process.HasExited ? -1 : process.ExitCode;
        lock (all)
        {
            // Still under the lock: a grandchild that kept the pipes open may be writing.
            return new ProcessResult(command, exitCode, timedOut, all.ToString(), stdout.ToString(), stderr.ToString(), stopwatch.Elapsed);
        }

        void Collect(string? line, StringBuilder own, TaskCompletionSource closed)
        {
            if (line is null)
            {
                closed.TrySetResult();
                return;
            }

            lock (all)
            {
                all.AppendLine(line);
                own.AppendLine(line);
            }
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the timeout and the kill.
        }
    }

    private static string Quote(string argument) =>
        argument.Length != 0 && !argument.Any(c => char.IsWhiteSpace(c) || c == '"' || c == '\'') ? argument : $"'{argument}'";
}
