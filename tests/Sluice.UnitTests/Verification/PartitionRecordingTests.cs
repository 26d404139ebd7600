using System.Text;
using Sluice.Core.Errors;
using Sluice.TestKit;
using Sluice.Verification.Recording;

namespace Sluice.UnitTests.Verification;

public sealed class PartitionRecordingTests
{
    [Fact]
    public void records_read_back_with_offsets_keys_and_values_and_the_file_is_its_own_position()
    {
        using var dir = new TempDirectory();
        var path = dir.File("0.rec");
        using (var file = PartitionRecording.OpenForAppend(path))
        {
            file.Append(0, "k0"u8, hasKey: true, "v0"u8);
            file.Append(1, default, hasKey: false, "v1"u8);
            file.Append(5, ""u8, hasKey: true, ""u8); // an empty key is not no key; offsets may skip
        }
        var records = PartitionRecording.ReadAll(path, "t", 3);
        Assert.Equal([0L, 1, 5], records.Select(r => r.Offset));
        Assert.Equal("k0", Encoding.UTF8.GetString(records[0].Key!));
        Assert.Null(records[1].Key);
        Assert.Equal([], records[2].Key!);
        Assert.Equal("v1", Encoding.UTF8.GetString(records[1].Value));
        Assert.All(records, r => Assert.Equal(("t", 3), (r.Topic, r.Partition)));

        using var reopened = PartitionRecording.OpenForAppend(path);
        Assert.Equal(5, reopened.LastOffset);
        Assert.Equal(3, reopened.Count);
        Assert.Throws<InvalidOperationException>(() => reopened.Append(5, default, false, "again"u8));
    }

    [Theory]
    [InlineData(1)]   // a frame cut inside its length prefix
    [InlineData(9)]   // inside its body
    [InlineData(-1)]  // whole in length, its last byte wrong: written in part before a kill -9
    public void a_frame_a_crash_left_in_part_is_not_read_and_is_cut_off_on_resume(int cut)
    {
        using var dir = new TempDirectory();
        var path = dir.File("0.rec");
        using (var file = PartitionRecording.OpenForAppend(path))
        {
            file.Append(10, "a"u8, true, "first"u8);
            file.Append(11, "b"u8, true, "second"u8);
        }
        var whole = File.ReadAllBytes(path);
        var secondFrame = whole.Length - (8 + 8 + 4 + 1 + "second".Length);
        if (cut > 0)
        {
            File.WriteAllBytes(path, whole[..(secondFrame + cut)]);
        }
        else
        {
            whole[^1] ^= 0xFF;
            File.WriteAllBytes(path, whole);
        }

        Assert.Equal([10L], PartitionRecording.ReadAll(path, "t", 0).Select(r => r.Offset));
        using (var resumed = PartitionRecording.OpenForAppend(path))
        {
            Assert.Equal(10, resumed.LastOffset);
            resumed.Append(11, "b"u8, true, "second again"u8);
        }
        var records = PartitionRecording.ReadAll(path, "t", 0);
        Assert.Equal([10L, 11], records.Select(r => r.Offset));
        Assert.Equal("second again", Encoding.UTF8.GetString(records[1].Value));
    }

    [Fact]
    public void damage_before_the_last_frame_is_an_error_naming_the_file_not_a_silent_cut()
    {
        using var dir = new TempDirectory();
        var path = dir.File("0.rec");
        using (var file = PartitionRecording.OpenForAppend(path))
        {
            file.Append(0, "a"u8, true, "first"u8);
            file.Append(1, "b"u8, true, "second"u8);
        }
        var bytes = File.ReadAllBytes(path);
        bytes[8 + 8 + 12] ^= 0xFF; // the first frame's key
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<SluiceException>(() => PartitionRecording.OpenForAppend(path));
        Assert.Contains($"{path} is damaged at byte 8", error.Message, StringComparison.Ordinal);
        Assert.Throws<SluiceException>(() => PartitionRecording.ReadAll(path, "t", 0));
    }

    [Fact]
    public void a_file_that_is_not_a_recording_is_refused()
    {
        using var dir = new TempDirectory();
        var path = dir.File("0.rec");
        File.WriteAllText(path, "hello, world");
        var error = Assert.Throws<SluiceException>(() => PartitionRecording.OpenForAppend(path));
        Assert.Contains("is not a Sluice recording", error.Message, StringComparison.Ordinal);
    }
}
