import Foundation
import Synchronization

/// One ElevenLabs voice, with the fields the real `Voice` model carries.
struct Voice: Sendable {
    // MARK: Types

    struct Sample: Sendable {
        var sampleID: String
        var fileName: String
        var mimeType: String
        var sizeBytes: Int
        var hash: String
    }

    // MARK: Properties

    var voiceID: String
    var name: String
    var category: String
    var description: String?
    var labels: [String: String]
    var samples: [Sample] = []
    var createdAtUnix: Int64?
    var previewURL: String?

    var isOwner: Bool { self.category == "cloned" }

    // MARK: JSON

    func json() -> [String: Any] {
        let samples: Any =
            self.samples.isEmpty
            ? NSNull()
            : self.samples.map { sample -> [String: Any] in
                [
                    "sample_id": sample.sampleID, "file_name": sample.fileName, "mime_type": sample.mimeType,
                    "size_bytes": sample.sizeBytes, "hash": sample.hash,
                ]
            }
        return [
            "voice_id": self.voiceID,
            "name": self.name,
            "samples": samples,
            "category": self.category,
            "fine_tuning": [
                "is_allowed_to_fine_tune": self.isOwner,
                "state": [String: String](),
                "verification_failures": [String](),
                "verification_attempts_count": 0,
                "manual_verification_requested": false,
                "language": "en",
                "progress": [String: Double](),
                "message": [String: String](),
            ] as [String: Any],
            "labels": self.labels,
            "description": self.description ?? NSNull(),
            "preview_url": self.previewURL ?? NSNull(),
            "available_for_tiers": [String](),
            "settings": [
                "stability": 0.5, "similarity_boost": 0.75, "style": 0.0, "use_speaker_boost": true, "speed": 1.0,
            ] as [String: Any],
            "sharing": NSNull(),
            "high_quality_base_model_ids": ["eleven_v2_flash", "eleven_flash_v2", "eleven_turbo_v2_5",
                "eleven_multilingual_v2", "eleven_v2_5_flash", "eleven_flash_v2_5", "eleven_turbo_v2"],
            "verified_languages": [Any](),
            "safety_control": NSNull(),
            "voice_verification": [
                "requires_verification": false, "is_verified": false, "verification_failures": [String](),
                "verification_attempts_count": 0, "language": NSNull(), "verification_attempts": NSNull(),
            ] as [String: Any],
            "permission_on_resource": self.isOwner ? "admin" : NSNull(),
            "is_owner": self.isOwner,
            "is_legacy": false,
            "is_mixed": false,
            "favorited_at_unix": NSNull(),
            "created_at_unix": self.createdAtUnix.map { $0 as Any } ?? NSNull(),
        ]
    }

    // MARK: Premade voices

    static let premade: [Voice] = [
        ("21m00Tcm4TlvDq8ikWAM", "Rachel", "american", "young", "female", "calm", "narration"),
        ("EXAVITQu4vr4xnSDxMaL", "Sarah", "american", "young", "female", "soft", "news"),
        ("pNInz6obpgDQGcFmaJgB", "Adam", "american", "middle aged", "male", "deep", "narration"),
        ("JBFqnCBsd6RMkjVDRZzb", "George", "british", "middle aged", "male", "warm", "narration"),
        ("AZnzlk1XvdvUeBnXmlld", "Domi", "american", "young", "female", "strong", "narration"),
    ].map { id, name, accent, age, gender, tone, useCase in
        let h = StableHash.hex(StableHash.of("preview", id)) + StableHash.hex(StableHash.of("preview2", id))
        let uuid = [h.prefix(8), h.dropFirst(8).prefix(4), h.dropFirst(12).prefix(4), h.dropFirst(16).prefix(4),
            h.dropFirst(20).prefix(12)].joined(separator: "-")
        return Voice(
            voiceID: id,
            name: name,
            category: "premade",
            description: nil,
            labels: ["accent": accent, "age": age, "gender": gender, "description": tone, "use_case": useCase],
            previewURL: "https://storage.googleapis.com/eleven-public-prod/premade/voices/\(id)/\(uuid).mp3"
        )
    }
}

/// Per-API-key voice lists: the premade voices plus that key's clones, mutated by add, edit and delete.
final class VoiceStore: Sendable {
    // MARK: State

    private let accounts = Mutex([String: [Voice]]())

    // MARK: Queries

    func list(key: String) -> [Voice] {
        self.accounts.withLock { $0[key] ?? Voice.premade }
    }

    func voice(key: String, id: String) -> Voice? {
        self.list(key: key).first { $0.voiceID == id }
    }

    // MARK: Mutations

    /// Adds a cloned voice and returns its new 20-character id.
    func add(key: String, name: String, description: String?, labels: [String: String], samples: [Voice.Sample])
        -> String
    {
        let voice = Voice(
            voiceID: StableHash.randomID(length: 20),
            name: name,
            category: "cloned",
            description: description,
            labels: labels,
            samples: samples,
            createdAtUnix: HTTPDate.nowSeconds()
        )
        self.accounts.withLock { $0[key, default: Voice.premade].append(voice) }
        return voice.voiceID
    }

    /// Applies `change` to the voice; false when the key has no such voice.
    func edit(key: String, id: String, _ change: (inout Voice) -> Void) -> Bool {
        self.accounts.withLock { accounts in
            var voices = accounts[key] ?? Voice.premade
            guard let index = voices.firstIndex(where: { $0.voiceID == id }) else { return false }
            change(&voices[index])
            accounts[key] = voices
            return true
        }
    }

    func delete(key: String, id: String) -> Bool {
        self.accounts.withLock { accounts in
            var voices = accounts[key] ?? Voice.premade
            guard let index = voices.firstIndex(where: { $0.voiceID == id }) else { return false }
            voices.remove(at: index)
            accounts[key] = voices
            return true
        }
    }

    // MARK: Helpers

    /// Samples made from the uploaded `files` parts.
    static func samples(from parts: [MultipartPart]) -> [Voice.Sample] {
        parts.filter { $0.isFile }.map { part in
            Voice.Sample(
                sampleID: StableHash.randomID(length: 20),
                fileName: part.filename ?? "sample.mp3",
                mimeType: part.contentType ?? "audio/mpeg",
                sizeBytes: part.size,
                hash: StableHash.hex(part.hash)
                    + StableHash.hex(StableHash.fnv1a([UInt8(truncatingIfNeeded: part.size)], seed: part.hash))
            )
        }
    }

    /// Labels sent as a JSON string field (`{"accent":"American"}`).
    static func labels(fromJSON text: String?) -> [String: String] {
        guard let text, let data = text.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object.compactMapValues { $0 as? String }
    }
}
