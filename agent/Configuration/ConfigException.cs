namespace Fleet.Agent.Configuration;

/// <summary>A configuration problem the operator must fix; its message names the source and the problem.</summary>
public sealed class ConfigException(string message) : Exception(message);
