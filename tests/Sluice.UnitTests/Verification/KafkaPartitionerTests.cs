using Sluice.Verification;

namespace Sluice.UnitTests.Verification;

public class KafkaPartitionerTests
{
    [Fact]
    public void crc32_is_the_zlib_checksum() => Assert.Equal(0xCBF43926u, KafkaPartitioner.Crc32("123456789"u8));

    [Fact]
    public void an_empty_key_has_no_computable_partition_because_the_producer_picks_one_at_random() =>
        Assert.Null(KafkaPartitioner.ConsistentRandom([], 6));

    [Fact]
    public void a_key_goes_to_its_checksum_modulo_the_partition_count() =>
        Assert.Equal((int)(0xCBF43926u % 7), KafkaPartitioner.ConsistentRandom("123456789"u8, 7));
}
