/// Makes the fake Gemini text and response JSON: a short story from a word list, driven by a seeded generator.
enum GeminiText {
    // MARK: Types

    struct Usage {
        var prompt: Int
        var candidates: Int
        var total: Int { self.prompt + self.candidates }
    }

    // MARK: Vocabulary

    private static let openings = ["Once upon a time", "Long ago", "One quiet morning", "Far beyond the hills",
        "In a small village", "Under a silver moon"]
    private static let subjects = ["a curious fox", "the old lighthouse keeper", "a brave little robot",
        "two sleepy owls", "the baker's daughter", "a lost paper boat", "the wandering cloud", "a patient turtle"]
    private static let verbs = ["discovered", "followed", "painted", "whispered to", "carried", "counted",
        "remembered", "built", "chased", "befriended"]
    private static let objects = ["a hidden garden", "the northern star", "a map of forgotten roads",
        "the river's song", "a jar of fireflies", "the first snow", "a door in the oak tree", "the echo of the bells"]
    private static let endings = ["and the day grew warmer.", "while the wind hummed softly.",
        "until the lanterns glowed.", "and nobody felt alone again.", "before the tide came in.",
        "as the town slept."]

    // MARK: Story

    /// About `wordCount` words of story, sentence by sentence.
    static func story<G: RandomNumberGenerator>(wordCount: Int, using generator: inout G) -> [String] {
        var words: [String] = []
        var first = true
        while words.count < wordCount {
            let start = first ? self.openings.randomElement(using: &generator)! + "," : "Then"
            first = false
            let sentence = [
                start, self.subjects.randomElement(using: &generator)!, self.verbs.randomElement(using: &generator)!,
                self.objects.randomElement(using: &generator)!, self.endings.randomElement(using: &generator)!,
            ].joined(separator: " ")
            words += sentence.split(separator: " ").map(String.init)
        }
        return words
    }

    /// Splits `words` into `count` consecutive, non-empty groups (fewer when there are fewer words).
    static func split(_ words: [String], into count: Int) -> [[String]] {
        let groups = max(1, min(count, words.count))
        return (0..<groups).map { index in
            Array(words[(index * words.count / groups)..<((index + 1) * words.count / groups)])
        }
    }

    static func promptCharacters(_ contents: [Any]) -> Int {
        var total = 0
        for case let content as [String: Any] in contents {
            for case let part as [String: Any] in content["parts"] as? [Any] ?? [] {
                total += (part["text"] as? String)?.count ?? 0
            }
        }
        return total
    }

    // MARK: Response JSON

    /// One GenerateContentResponse. Non-final stream chunks carry only the prompt count, as the real API does.
    static func response(text: String, final: Bool, usage: Usage, model: String, responseID: String)
        -> [String: Any]
    {
        var candidate: [String: Any] = [
            "content": ["parts": [["text": text]], "role": "model"] as [String: Any],
            "index": 0,
        ]
        var usageMetadata: [String: Any] = [
            "promptTokenCount": usage.prompt,
            "totalTokenCount": usage.prompt,
            "promptTokensDetails": [["modality": "TEXT", "tokenCount": usage.prompt] as [String: Any]],
        ]
        if final {
            candidate["finishReason"] = "STOP"
            usageMetadata["candidatesTokenCount"] = usage.candidates
            usageMetadata["totalTokenCount"] = usage.total
        }
        return [
            "candidates": [candidate],
            "usageMetadata": usageMetadata,
            "modelVersion": model,
            "responseId": responseID,
        ]
    }

    // MARK: Bad generations (the `Demo-Generation` request field)

    /// The bad answers a real Gemini gives with a 200, asked for by `Demo-Generation`: a finish reason other than
    /// STOP (`safety`, `recitation`, `max-tokens`, `other`), a blocked prompt (`blocked`), a candidate without text
    /// (`no-text`), an error object (`error`). `no-final-event` (streams only) is applied by the caller.
    static let badGenerations: Set<String> = [
        "safety", "recitation", "max-tokens", "other", "blocked", "no-text", "error", "no-final-event",
    ]

    /// The final payload spoiled as `bad` says; non-final stream chunks stay as they are.
    static func spoil(_ payload: [String: Any], as bad: String) -> [String: Any] {
        var payload = payload
        let reasons = ["safety": "SAFETY", "recitation": "RECITATION", "max-tokens": "MAX_TOKENS", "other": "OTHER"]
        switch bad {
        case _ where reasons[bad] != nil:
            guard var candidates = payload["candidates"] as? [[String: Any]], !candidates.isEmpty else { return payload }
            candidates[0]["finishReason"] = reasons[bad]
            if bad == "safety" || bad == "recitation" { candidates[0]["content"] = ["role": "model"] }
            payload["candidates"] = candidates
        case "blocked":
            payload["candidates"] = nil
            payload["promptFeedback"] = [
                "blockReason": "SAFETY",
                "safetyRatings": [["category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"]],
            ] as [String: Any]
        case "no-text":
            guard var candidates = payload["candidates"] as? [[String: Any]], !candidates.isEmpty else { return payload }
            candidates[0]["content"] = ["parts": [["text": ""]], "role": "model"] as [String: Any]
            payload["candidates"] = candidates
        case "error":
            return ["error": ["code": 500, "message": "An internal error has occurred.", "status": "INTERNAL"] as [String: Any]]
        default:
            break
        }
        return payload
    }
}
