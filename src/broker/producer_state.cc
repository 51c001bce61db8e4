#include "broker/producer_state.h"

#include <algorithm>
#include <climits>
#include <optional>
#include <string>
#include <utility>

namespace sh::broker {
namespace {

std::string Pid(int64_t producer_id) { return "producer id " + std::to_string(producer_id); }

// Kafka's ProducerAppendInfo.inSequence: next follows last, wrapping at INT32_MAX.
bool InSequence(int32_t last, int32_t next) {
  return static_cast<int64_t>(next) == static_cast<int64_t>(last) + 1 ||
         (next == 0 && last == INT32_MAX);
}

// Why the producer fields of an idempotent batch are unusable, or nullopt.
// REQUIRES: h.producer_id >= 0.
std::optional<std::string> Malformed(const ProducerBatchHeader& h) {
  std::string who = Pid(h.producer_id) + ": ";
  if (h.producer_epoch < 0) return who + "negative epoch " + std::to_string(h.producer_epoch);
  if (h.base_sequence < 0) {
    return who + "negative base sequence " + std::to_string(h.base_sequence);
  }
  if (h.record_count < 1) return who + "batch of " + std::to_string(h.record_count) + " records";
  return std::nullopt;
}

SequenceCheck Verdict(SequenceVerdict v, std::string message = "") {
  SequenceCheck c;
  c.verdict = v;
  c.message = std::move(message);
  return c;
}

// The remembered batch that h retries, if any. A batch restored from a
// metadata ProducerState has no first sequence: it matches on its last
// sequence, and its first offset follows from the retry's record count (a
// retry carries exactly the records of the original).
std::optional<SequenceCheck> FindDuplicate(const ProducerEntry& e, const ProducerBatchHeader& h) {
  if (h.producer_epoch != e.producer_epoch) return std::nullopt;
  const int32_t last_seq = h.last_sequence();
  for (const ProducerBatchMetadata& b : e.batches) {
    if (b.last_sequence != last_seq) continue;
    if (b.first_sequence != kUnknownSequence && b.first_sequence != h.base_sequence) continue;
    int64_t first =
        b.first_offset != kUnknownOffset ? b.first_offset : b.last_offset - (h.record_count - 1);
    if (first < 0) continue;  // more records than the original could have held
    SequenceCheck c = Verdict(SequenceVerdict::kDuplicate);
    c.first_offset = first;
    c.last_offset = b.last_offset;
    return c;
  }
  return std::nullopt;
}

Status CheckEntry(const ProducerEntry& e) {
  std::string who = Pid(e.producer_id);
  if (e.producer_id < 0 || e.producer_epoch < 0) {
    return Status::Corruption("producer state: " + who + " with epoch " +
                              std::to_string(e.producer_epoch));
  }
  if (e.batches.size() > kRetainedBatches) {
    return Status::Corruption("producer state: " + who + " holds " +
                              std::to_string(e.batches.size()) + " batches; at most 5 are kept");
  }
  int64_t previous_last = -1;
  for (const ProducerBatchMetadata& b : e.batches) {
    bool bad = b.last_sequence < 0 || b.last_offset < 0 ||
               (b.first_sequence < 0 && b.first_sequence != kUnknownSequence) ||
               (b.first_offset != kUnknownOffset &&
                (b.first_offset < 0 || b.first_offset > b.last_offset)) ||
               b.last_offset <= previous_last;
    if (bad) {
      return Status::Corruption("producer state: " + who + " has an inconsistent batch ending at" +
                                " offset " + std::to_string(b.last_offset) + ", sequence " +
                                std::to_string(b.last_sequence));
    }
    previous_last = b.last_offset;
  }
  return Status::OK();
}

}  // namespace

Status SequenceRefusal(const std::string& where, const SequenceCheck& check) {
  SubCode sub = SubCode::kInvalidRecord;
  if (check.verdict == SequenceVerdict::kOutOfOrder) sub = SubCode::kOutOfOrderSequence;
  if (check.verdict == SequenceVerdict::kStaleEpoch) sub = SubCode::kStaleProducerEpoch;
  SH_CHECK_MSG(sub != SubCode::kInvalidRecord || check.verdict == SequenceVerdict::kInvalid,
               SequenceVerdictName(check.verdict));
  return Status(ErrorCode::kInvalidArgument, sub, where + ": " + check.message);
}

const char* SequenceVerdictName(SequenceVerdict verdict) {
  switch (verdict) {
    case SequenceVerdict::kNotIdempotent:
      return "NotIdempotent";
    case SequenceVerdict::kAccept:
      return "Accept";
    case SequenceVerdict::kDuplicate:
      return "Duplicate";
    case SequenceVerdict::kOutOfOrder:
      return "OutOfOrder";
    case SequenceVerdict::kStaleEpoch:
      return "StaleEpoch";
    case SequenceVerdict::kInvalid:
      return "Invalid";
  }
  return "?";
}

ProducerBatchHeader ProducerBatchHeader::Of(const records::RecordBatchView& batch) {
  ProducerBatchHeader h;
  h.producer_id = batch.producer_id();
  h.producer_epoch = batch.producer_epoch();
  h.base_sequence = batch.base_sequence();
  h.record_count = batch.record_count();
  return h;
}

int32_t ProducerBatchHeader::last_sequence() const {
  // Worked example: base INT32_MAX - 1 with 3 records -> INT32_MAX - 1, INT32_MAX, 0.
  int64_t last = static_cast<int64_t>(base_sequence) + record_count - 1;
  if (last > INT32_MAX) last -= static_cast<int64_t>(INT32_MAX) + 1;
  return static_cast<int32_t>(last);
}

SequenceCheck ProducerStateTable::Check(const ProducerBatchHeader& h) const {
  // Kafka's RecordBatch.hasProducerId(): any negative id means "none".
  if (h.producer_id < 0) return Verdict(SequenceVerdict::kNotIdempotent);
  if (std::optional<std::string> why = Malformed(h)) {
    return Verdict(SequenceVerdict::kInvalid, *why);
  }
  auto it = entries_.find(h.producer_id);
  // Kafka 2.5+ (KIP-360): with no state for the producer (new, expired, or
  // all its batches deleted) any sequence is accepted, rather than
  // UNKNOWN_PRODUCER_ID, so a client that kept counting is not forced to
  // reset and resend.
  if (it == entries_.end()) return Verdict(SequenceVerdict::kAccept);
  const ProducerEntry& e = it->second;
  // Duplicates first, as Kafka does: a retry must not fail as out of order.
  if (std::optional<SequenceCheck> dup = FindDuplicate(e, h)) return *dup;

  std::string who = Pid(h.producer_id) + ": ";
  if (h.producer_epoch < e.producer_epoch) {
    return Verdict(SequenceVerdict::kStaleEpoch, who + "epoch " + std::to_string(h.producer_epoch) +
                                                     " is older than the " + "current epoch " +
                                                     std::to_string(e.producer_epoch));
  }
  if (h.producer_epoch > e.producer_epoch) {
    if (h.base_sequence == 0) return Verdict(SequenceVerdict::kAccept);
    return Verdict(SequenceVerdict::kOutOfOrder,
                   who + "first batch of new epoch " + std::to_string(h.producer_epoch) +
                       " starts at sequence " + std::to_string(h.base_sequence) + ", not 0");
  }
  int32_t last = e.batches.empty() ? kUnknownSequence : e.batches.back().last_sequence;
  if (InSequence(last, h.base_sequence)) return Verdict(SequenceVerdict::kAccept);
  return Verdict(SequenceVerdict::kOutOfOrder,
                 who + "sequence " + std::to_string(h.base_sequence) + " does not follow " +
                     std::to_string(last) + " (epoch " + std::to_string(h.producer_epoch) + ")");
}

void ProducerStateTable::Apply(const ProducerBatchHeader& h, int64_t first_offset,
                               int64_t last_offset, int64_t now_ms) {
  auto [it, inserted] = entries_.try_emplace(h.producer_id);
  ProducerEntry& e = it->second;
  if (inserted || e.producer_epoch != h.producer_epoch) {
    // A new epoch restarts the sequence: the old epoch's batches can no
    // longer be retried (their epoch is stale).
    e.producer_id = h.producer_id;
    e.producer_epoch = h.producer_epoch;
    e.batches.clear();
  }
  e.batches.push_back({h.base_sequence, h.last_sequence(), first_offset, last_offset});
  while (e.batches.size() > kRetainedBatches) e.batches.pop_front();
  e.last_update_ms = std::max(e.last_update_ms, now_ms);
}

void ProducerStateTable::Commit(const ProducerBatchHeader& header, int64_t first_offset,
                                int64_t last_offset, int64_t now_ms) {
  if (header.producer_id < 0 || Malformed(header)) return;
  Apply(header, first_offset, last_offset, now_ms);
}

void ProducerStateTable::Replay(const ProducerBatchHeader& header, int64_t first_offset,
                                int64_t last_offset, int64_t timestamp_ms) {
  if (header.producer_id < 0 || Malformed(header)) return;
  auto it = entries_.find(header.producer_id);
  if (it != entries_.end() && !it->second.batches.empty() &&
      last_offset <= it->second.batches.back().last_offset) {
    return;  // already known from the snapshot
  }
  Apply(header, first_offset, last_offset, timestamp_ms);
}

void ProducerStateTable::TruncateFrom(int64_t offset) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    std::deque<ProducerBatchMetadata>& batches = it->second.batches;
    bool removed = false;
    while (!batches.empty() && batches.back().last_offset >= offset) {
      batches.pop_back();
      removed = true;
    }
    // With no batch left we no longer know the producer's epoch or sequence:
    // forget it, so that its retry is accepted (Kafka's "no state" rule).
    if (removed && batches.empty()) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

size_t ProducerStateTable::ExpireIdle(int64_t now_ms) {
  // Written so that no subtraction involves a restored, untrusted time.
  const int64_t idle_since = now_ms - expiration_ms_;
  return std::erase_if(entries_,
                       [&](const auto& kv) { return kv.second.last_update_ms <= idle_since; });
}

std::vector<ProducerEntry> ProducerStateTable::Entries(int64_t below_offset) const {
  if (below_offset != INT64_MAX) {
    ProducerStateTable cut = *this;
    cut.TruncateFrom(below_offset);
    return cut.Entries();
  }
  std::vector<ProducerEntry> out;
  out.reserve(entries_.size());
  for (const auto& [pid, e] : entries_) out.push_back(e);
  return out;
}

Status ProducerStateTable::RestoreEntries(const std::vector<ProducerEntry>& entries) {
  std::map<int64_t, ProducerEntry> restored;
  for (const ProducerEntry& e : entries) {
    SH_RETURN_IF_ERROR(CheckEntry(e));
    if (!restored.emplace(e.producer_id, e).second) {
      return Status::Corruption("producer state: " + Pid(e.producer_id) + " appears twice");
    }
  }
  entries_ = std::move(restored);
  return Status::OK();
}

std::vector<ProducerState> ProducerStateTable::Snapshot(const std::string& topic, int32_t partition,
                                                        int64_t below_offset) const {
  std::vector<ProducerState> out;
  for (const ProducerEntry& e : Entries(below_offset)) {
    ProducerState s;
    s.topic = topic;
    s.partition = partition;
    s.producer_id = e.producer_id;
    s.producer_epoch = e.producer_epoch;
    if (!e.batches.empty()) {
      s.last_sequence = e.batches.back().last_sequence;
      s.last_offset = e.batches.back().last_offset;
    }
    s.updated_at_ms = e.last_update_ms;
    out.push_back(std::move(s));
  }
  return out;
}

Status ProducerStateTable::Restore(const std::vector<ProducerState>& states) {
  std::vector<ProducerEntry> entries;
  entries.reserve(states.size());
  for (const ProducerState& s : states) {
    ProducerEntry e;
    e.producer_id = s.producer_id;
    e.producer_epoch = s.producer_epoch;
    e.last_update_ms = s.updated_at_ms;
    if (s.last_sequence != -1 || s.last_offset != -1) {
      e.batches.push_back({kUnknownSequence, s.last_sequence, kUnknownOffset, s.last_offset});
    }
    entries.push_back(std::move(e));
  }
  return RestoreEntries(entries);
}

const ProducerEntry* ProducerStateTable::Find(int64_t producer_id) const {
  auto it = entries_.find(producer_id);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace sh::broker
