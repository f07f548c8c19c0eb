namespace Playground.Engine.Launch.Protocol;
