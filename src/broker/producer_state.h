// ProducerStateTable: idempotent-producer sequence tracking for one partition
// (Kafka's ProducerStateManager / ProducerAppendInfo; docs/idempotent-producers.md).
//
// For each producer id that wrote to the partition the table remembers the
// producer epoch and the last kRetainedBatches (5) batches of that epoch: their
// first and last sequence numbers and the offsets they were written at. A
// produce of an idempotent batch goes
//
//   SequenceCheck c = table.Check(header);          // before any offset is assigned
//   kAccept     -> assign offsets, append, then table.Commit(header, first, last, now_ms)
//   kDuplicate  -> write nothing; answer with c.first_offset (once it is durable)
//   otherwise   -> answer with the Kafka error for c.verdict (see SequenceVerdict)
//
// Worked example (producer 7, epoch 0, 5 records per batch):
//   Check{seq 0, 5 records}  -> kAccept;  Commit(offsets 100..104)
//   Check{seq 5, 5 records}  -> kAccept;  Commit(offsets 105..109)
//   Check{seq 0, 5 records}  -> kDuplicate{100, 104}   (a retry of the first batch)
//   Check{seq 15, 5 records} -> kOutOfOrder            (10..14 is missing)
//   Check{epoch 1, seq 0}    -> kAccept                (an epoch bump restarts at 0)
//   then Check{epoch 0, ...} -> kStaleEpoch
//
// Recovery: the table is rebuilt from a snapshot (Entries()/Snapshot(), saved
// when the tail is sealed) followed by Replay() of every batch above it, in
// offset order (the WAL / unsealed tail). Replay is idempotent for batches the
// snapshot already covers.
//
// Not thread-safe: the partition leader serializes Check -> offset assignment
// -> Commit for a partition under its append lock, so that a second batch of
// the same producer is checked against the first.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "metadata/metadata_store.h"
#include "records/record_batch.h"

namespace sh::broker {

// Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN: the most batches a client
// has in flight per partition (max.in.flight.requests.per.connection <= 5).
constexpr size_t kRetainedBatches = 5;
// Kafka's producer.id.expiration.ms default: one day.
constexpr int64_t kDefaultProducerIdExpirationMs = 86'400'000;
// Sequence numbers and offsets the table does not know (restored from a
// metadata ProducerState, which holds only the last batch's end).
constexpr int32_t kUnknownSequence = -1;
constexpr int64_t kUnknownOffset = -1;

// The producer fields of a v2 batch header.
struct ProducerBatchHeader {
  int64_t producer_id = -1;  // negative (-1): not idempotent
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;

  static ProducerBatchHeader Of(const records::RecordBatchView& batch);
  // The sequence of the batch's last record: base_sequence + record_count - 1,
  // wrapping from INT32_MAX to 0 as Kafka's DefaultRecordBatch.incrementSequence.
  // REQUIRES: base_sequence >= 0, record_count >= 1.
  int32_t last_sequence() const;
};

// One remembered batch of a producer.
struct ProducerBatchMetadata {
  int32_t first_sequence = kUnknownSequence;
  int32_t last_sequence = kUnknownSequence;
  int64_t first_offset = kUnknownOffset;
  int64_t last_offset = kUnknownOffset;
  bool operator==(const ProducerBatchMetadata&) const = default;
};

// Everything the table knows about one producer id, at full fidelity.
struct ProducerEntry {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int64_t last_update_ms = 0;  // time of the last Commit/Replay, for expiry
  // Batches of producer_epoch, oldest first, at most kRetainedBatches.
  std::deque<ProducerBatchMetadata> batches;
  bool operator==(const ProducerEntry&) const = default;
};

enum class SequenceVerdict {
  kNotIdempotent,  // no producer id (negative): nothing to check or record
  kAccept,         // write it, then Commit
  kDuplicate,      // a retry of a remembered batch: acknowledge its offsets, write nothing
  kOutOfOrder,     // OUT_OF_ORDER_SEQUENCE_NUMBER
  kStaleEpoch,     // INVALID_PRODUCER_EPOCH: an older epoch than the producer's current one
  kInvalid,        // malformed producer fields (negative epoch or sequence): INVALID_RECORD
};

const char* SequenceVerdictName(SequenceVerdict verdict);

struct SequenceCheck {
  SequenceVerdict verdict = SequenceVerdict::kNotIdempotent;
  // kDuplicate only: where the original batch was written.
  int64_t first_offset = kUnknownOffset;
  int64_t last_offset = kUnknownOffset;
  // Why, for an error_message or a log line (empty for kAccept/kNotIdempotent).
  std::string message;
};

// The error a refused idempotent batch gets: InvalidArgument with the
// sub-code of its verdict (kOutOfOrder -> kOutOfOrderSequence, kStaleEpoch ->
// kStaleProducerEpoch, kInvalid -> kInvalidRecord), "where: " before the
// check's message. REQUIRES: check.verdict is one of those three.
Status SequenceRefusal(const std::string& where, const SequenceCheck& check);

class ProducerStateTable {
 public:
  explicit ProducerStateTable(int64_t producer_id_expiration_ms = kDefaultProducerIdExpirationMs)
      : expiration_ms_(producer_id_expiration_ms) {}

  // The verdict on a batch about to be appended. Does not change the table.
  SequenceCheck Check(const ProducerBatchHeader& header) const;

  // Records a batch that Check accepted, now written at [first_offset,
  // last_offset]. now_ms is the broker's clock (expiry counts from it).
  // A non-idempotent or malformed header is ignored.
  // REQUIRES: Check(header) returned kAccept and nothing was committed since.
  void Commit(const ProducerBatchHeader& header, int64_t first_offset, int64_t last_offset,
              int64_t now_ms);

  // Recovery: records a batch read back from the WAL or a segment, without
  // checking it (it was checked when first written). Batches must come in
  // offset order; one at or below what the table already holds for its
  // producer (a snapshot overlapping the replay) is skipped.
  // timestamp_ms: the batch's max timestamp or the WAL object's write time.
  void Replay(const ProducerBatchHeader& header, int64_t first_offset, int64_t last_offset,
              int64_t timestamp_ms);

  // Forgets batches written at offset or later (a failed WAL write whose
  // offsets are given back). A producer left with no batch is forgotten
  // altogether, so its retry is accepted at any sequence.
  void TruncateFrom(int64_t offset);

  // Removes producers idle for producer_id_expiration_ms or longer (Kafka's
  // producer.id.expiration.ms). Returns how many were removed.
  size_t ExpireIdle(int64_t now_ms);

  // ---- snapshots ----
  // A snapshot must describe only durable batches: one that names a batch
  // lost in a crash would acknowledge that batch's retry as a duplicate of
  // nothing. below_offset cuts the table as TruncateFrom(below_offset) would
  // (a copy; the table is unchanged): pass the first offset not yet durable,
  // or the end offset of the segment being sealed. Batches from there on are
  // replayed from the WAL at recovery.

  // Full fidelity: every producer with its last kRetainedBatches batches.
  std::vector<ProducerEntry> Entries(int64_t below_offset = INT64_MAX) const;
  // Replaces the table's content. Corruption (table unchanged) for an entry
  // with a negative producer id or epoch, more than kRetainedBatches batches,
  // or batches whose sequences/offsets are inconsistent.
  Status RestoreEntries(const std::vector<ProducerEntry>& entries);

  // The metadata store's form (MetadataStore::SaveProducerStates), which
  // keeps only the last batch's last sequence and offset: after Restore, only
  // the last batch of each producer is recognised as a duplicate (matched on
  // its last sequence; see docs/idempotent-producers.md).
  std::vector<ProducerState> Snapshot(const std::string& topic, int32_t partition,
                                      int64_t below_offset = INT64_MAX) const;
  // Replaces the table's content. Corruption (table unchanged) as RestoreEntries.
  Status Restore(const std::vector<ProducerState>& states);

  size_t size() const { return entries_.size(); }
  // nullptr if the producer id is unknown.
  const ProducerEntry* Find(int64_t producer_id) const;
  int64_t producer_id_expiration_ms() const { return expiration_ms_; }

 private:
  // Appends a batch to the producer's entry, starting a new epoch if it differs.
  void Apply(const ProducerBatchHeader& header, int64_t first_offset, int64_t last_offset,
             int64_t now_ms);

  int64_t expiration_ms_;
  std::map<int64_t, ProducerEntry> entries_;  // by producer id
};

}  // namespace sh::broker
