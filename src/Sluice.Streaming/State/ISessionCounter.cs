namespace Sluice.Streaming.State;

/// <summary>A store whose entries are sessions (for the open-sessions gauge): its <see cref="IStateStore.Count"/> is the sessions open.</summary>
public interface ISessionCounter;
