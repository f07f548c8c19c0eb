using Playground.Engine.Launch.Protocol;
using Playground.Init;

// playground-init: started by util-linux unshare or nsenter inside the sandbox's new
// namespaces, with the launch channel on fd 3. Says hello, reads its plan, runs the steps, execs.
var channel = new Channel();
LaunchPlan plan;
try
{
    channel.Hello();
    plan = channel.ReadPlan();
}
catch (Exception e)
{
    Console.Error.WriteLine($"playground-init: {e.Message} (init is started by the engine, not by hand)");
    return 125;
}

try
{
    return new Sandbox(plan, new LinuxSys(channel), channel).Run();
}
catch (StepFailure)
{
    return 125; // already reported as the failed step
}
catch (Exception e)
{
    try { channel.Step(new StepReport("init", "internal", 0, e.Message)); } catch { /* engine gone */ }
    return 125;
}
