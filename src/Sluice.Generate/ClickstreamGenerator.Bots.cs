using System.Runtime.CompilerServices;
using Sluice.Core.Events;
using Sluice.Generate.Faults;
using Sluice.Generate.Model;

namespace Sluice.Generate;

public sealed partial class ClickstreamGenerator
{
    private sealed record Bot(string Name, string UserAgent, string SessionId, string IpAddress)
    {
        public const string Country = "US";
        public const string Device = "desktop";

        public byte[] SessionIdJson { get; } = ClickJsonWriter.Encode(SessionId);
        public byte[] VisitorJson { get; } = ClickJsonWriter.VisitorBlock(UserAgent, IpAddress, Country, null, null, Device, null);
    }

    private readonly Bot[] _bots;

    private Bot[] CreateBots()
    {
        var bots = new Bot[UserAgents.Bots.Length];
        for (var i = 0; i < bots.Length; i++)
        {
            var (name, agent) = UserAgents.Bots[i];
            var id = $"bot-{name.ToLowerInvariant()}-{_botRng.NextUInt64():x8}";
            bots[i] = new Bot(name, agent, id, $"{_botRng.NextInt(223) + 1}.{_botRng.NextInt(256)}.{_botRng.NextInt(256)}.0");
        }
        return bots;
    }

    /// <summary>A crawler hit: bots keep one session that never ends and never buy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EmitBot()
    {
        var bot = _bots[_botRng.NextInt(_bots.Length)];
        Product? product = null;
        Category category;
        if (_botRng.NextDouble() < 0.7)
        {
            product = _catalog.PickProduct(_botRng);
            category = product.Category;
        }
        else
        {
            category = Catalog.Categories[_botRng.NextInt(Catalog.Categories.Length)];
        }
        var evt = NextDraft();
        evt.EventId = _botRng.NextGuid();
        evt.EventType = EventType.PageView;
        evt.Timestamp = _clock;
        evt.SessionId = bot.SessionId;
        evt.SessionIdJson = bot.SessionIdJson;
        evt.ProductId = product?.Id;
        evt.ProductIdJson = product?.IdJson;
        evt.ProductCategory = category.Name;
        evt.ProductCategoryJson = category.NameJson;
        evt.PageUrl = product?.PageUrl ?? category.PageUrl;
        evt.PageUrlJson = product?.PageUrlJson ?? category.PageUrlJson;
        evt.VisitorJson = bot.VisitorJson;
        evt.UserAgent = bot.UserAgent;
        evt.IpAddress = bot.IpAddress;
        evt.GeoCountry = Bot.Country;
        evt.DeviceType = Bot.Device;
        EmitClick(evt, FaultKind.Bot);
    }
}
