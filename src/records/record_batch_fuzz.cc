// libFuzzer target: any bytes given to the batch parser and record decoder
// must yield a value or an error, never a crash, leak or undefined behaviour.
// The input is tried as is, then with its length and CRC fixed up, so that
// mutations reach the checks and the record decoder behind the CRC.
#include <cstddef>
#include <cstdint>

#include "base/crc32c.h"
#include "records/record_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sh::records;
  sh::ByteView input(data, size);
  (void)PeekBatchSize(input);
  (void)ParseBatches(input);
  if (size < kBatchHeaderSize) return 0;
  sh::Bytes fixed(data, data + size);
  sh::StoreBE32(fixed.data() + kBatchLengthOffset, static_cast<uint32_t>(size - kBatchLogOverhead));
  fixed[kMagicOffset] = 2;
  sh::StoreBE32(fixed.data() + kCrcOffset,
                sh::crc32c::Value(fixed.data() + kAttributesOffset, size - kAttributesOffset));
  auto batch = RecordBatchView::Parse(fixed);
  if (batch.ok()) {
    auto records = batch->DecodeRecords();
    if (records.ok() && records->size() != static_cast<size_t>(batch->record_count())) {
      __builtin_trap();
    }
  }
  return 0;
}
