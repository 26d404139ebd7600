using Sluice.Pipelines.Clickstream.Users;

namespace Sluice.UnitTests.Pipelines.Users;

public sealed class UserHistoryTests
{
    private static UserChange Change(UserChangeOp op, long position, long at, string? segment = "new") =>
        new("u-1", op, position, at, null, op == UserChangeOp.Delete ? null : new UserImage("u-1", null, segment, "DE", null, 0));

    private static List<UserVersion> Apply(UserHistory h, UserChange c)
    {
        var changed = new List<UserVersion>();
        Assert.True(h.Apply(c, changed));
        return changed;
    }

    [Fact]
    public void each_change_opens_a_version_and_closes_the_one_before_and_a_delete_closes_the_last()
    {
        var h = new UserHistory();
        Assert.Equal([(1, 100L, (long?)null)], Apply(h, Change(UserChangeOp.Read, 1, 100)).Select(v => (v.Version, v.ValidFrom, v.ValidTo)));
        // The update writes the closed first version again and the new one.
        Assert.Equal([(1, 100L, (long?)200), (2, 200L, null)], Apply(h, Change(UserChangeOp.Update, 2, 200, "vip")).Select(v => (v.Version, v.ValidFrom, v.ValidTo)));
        var deleted = Assert.Single(Apply(h, Change(UserChangeOp.Delete, 3, 300)));
        Assert.Equal((2, (long?)300, (long?)300, false), (deleted.Version, deleted.ValidTo, deleted.DeletedAt, deleted.IsCurrent));
        Assert.Equal("new", h.AsOf(199)!.Segment);
        Assert.Equal("vip", h.AsOf(200)!.Segment);
        Assert.Null(h.AsOf(300));
        Assert.Null(h.AsOf(99));
        // Created again after the delete: a new version, the user is current again.
        Assert.Equal(3, Assert.Single(Apply(h, Change(UserChangeOp.Create, 4, 400))).Version);
        Assert.True(h.AsOf(500)!.IsCurrent);
    }

    [Fact]
    public void a_change_at_a_position_already_held_is_a_replay_and_changes_nothing()
    {
        var h = new UserHistory();
        Apply(h, Change(UserChangeOp.Read, 1, 100));
        Apply(h, Change(UserChangeOp.Update, 2, 200, "vip"));
        var changed = new List<UserVersion>();
        Assert.False(h.Apply(Change(UserChangeOp.Update, 2, 250, "returning"), changed));
        Assert.Empty(changed);
        Assert.Equal("vip", h.AsOf(300)!.Segment);
    }

    [Fact]
    public void a_change_that_arrives_out_of_position_order_takes_its_place_and_renumbers_the_versions_after_it()
    {
        var h = new UserHistory();
        Apply(h, Change(UserChangeOp.Read, 1, 100));
        Apply(h, Change(UserChangeOp.Update, 3, 300, "vip"));
        var changed = Apply(h, Change(UserChangeOp.Update, 2, 200, "returning"));
        Assert.Equal([(1L, 1, (long?)200), (2L, 2, 300), (3L, 3, null)], changed.Select(v => (v.Position, v.Version, v.ValidTo)));
        Assert.Equal("returning", h.AsOf(250)!.Segment);
    }
}
