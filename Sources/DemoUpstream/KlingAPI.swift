import NIOCore
import NIOHTTP1

/// The fake Kling image API: JWT auth, task creation, polling until done, and the CDN images it points at.
struct KlingAPI {
    // MARK: Properties

    let state: DemoState
    let options: DemoUpstream.Options

    // MARK: Errors

    /// `{"code":N,"message":"…","request_id":"…"}`
    static func error(_ status: HTTPResponseStatus, code: Int, _ message: String) -> DemoResponse {
        DemoResponse.json(
            status,
            ["code": code, "message": message, "request_id": StableHash.randomID(length: 22)]
        )
    }

    static func injected(status: Int) -> DemoResponse {
        switch status {
        case 429: return self.error(.tooManyRequests, code: 1302, "API request rate limit exceeded")
        case 401: return self.error(.unauthorized, code: 1000, "Authentication failed")
        case 403: return self.error(.forbidden, code: 1103, "No permission to access the requested resource")
        case 503: return self.error(.serviceUnavailable, code: 5001, "Server is under maintenance, please retry later")
        case 504: return self.error(.gatewayTimeout, code: 5002, "Server timeout, please retry later")
        default: return self.error(HTTPResponseStatus(statusCode: status), code: 5000, "Server internal error")
        }
    }

    func authenticate(_ request: DemoRequest) -> Checked<KlingJWT.Claims> {
        let result = KlingJWT.verify(
            authorization: request.header("authorization"),
            secret: self.options.klingJWTSecret,
            now: HTTPDate.nowSeconds()
        )
        switch result {
        case .success(let claims): return .passed(claims)
        case .failure(let failure): return .rejected(Self.error(.unauthorized, code: failure.code, failure.message))
        }
    }

    // MARK: Tasks

    /// POST /v1/images/generations
    func create(_ request: DemoRequest, claims: KlingJWT.Claims) -> DemoResponse {
        guard let body = request.jsonObject else {
            return Self.error(.badRequest, code: 1200, "Invalid request parameters: body is not valid JSON")
        }
        guard let prompt = body["prompt"] as? String, !prompt.isEmpty, prompt.count <= 2500 else {
            return Self.error(.badRequest, code: 1201, "Invalid request parameters: prompt is required")
        }
        let count = (body["n"] as? Int) ?? 1
        guard (1...9).contains(count) else {
            return Self.error(.badRequest, code: 1201, "Invalid request parameters: n must be between 1 and 9")
        }
        let externalTaskID = body["external_task_id"] as? String
        if let externalTaskID, self.state.kling.externalIDInUse(externalTaskID, issuer: claims.issuer) {
            return Self.error(.badRequest, code: 1201, "Invalid request parameters: external_task_id already exists")
        }
        let now = HTTPDate.nowMillis()
        let task = KlingTaskStore.Task(
            taskID: StableHash.randomID(length: 22),
            issuer: claims.issuer,
            account: String(StableHash.of("kling-account", claims.issuer) % 9_000_000_000 + 1_000_000_000),
            model: body["model_name"] as? String ?? "kling-v1",
            prompt: prompt,
            count: count,
            externalTaskID: externalTaskID,
            createdAt: now,
            updatedAt: now
        )
        self.state.kling.create(task)
        return self.success(self.taskJSON(task, status: "submitted", origin: request.origin))
    }

    /// GET /v1/images/generations/{task_id}
    func task(_ request: DemoRequest, taskID: String, claims: KlingJWT.Claims) -> DemoResponse {
        let polled = self.state.kling.poll(
            taskID: taskID,
            issuer: claims.issuer,
            pollsUntilDone: self.options.klingPollsUntilDone,
            now: HTTPDate.nowMillis()
        )
        guard let (task, status) = polled else {
            return Self.error(.notFound, code: 1203, "Requested resource not found: task \(taskID)")
        }
        return self.success(self.taskJSON(task, status: status, origin: request.origin))
    }

    /// GET /v1/images/generations?pageNum=&pageSize=
    func list(_ request: DemoRequest, claims: KlingJWT.Claims) -> DemoResponse {
        let pageNumber = min(1000, max(1, request.intQuery("pageNum") ?? 1))
        let pageSize = min(500, max(1, request.intQuery("pageSize") ?? 30))
        let tasks = self.state.kling.list(issuer: claims.issuer)
        let start = min(tasks.count, (pageNumber - 1) * pageSize)
        let page = tasks[start..<min(tasks.count, start + pageSize)].map { task -> [String: Any] in
            let status = task.polls > self.options.klingPollsUntilDone ? "succeed" : "processing"
            return self.taskJSON(task, status: status, origin: request.origin)
        }
        return self.success(page)
    }

    /// GET /bs2/upload-kling-api/<account>/image/<task>-<i>_raw_image_1.png: a small valid PNG.
    func image(_ request: DemoRequest) -> DemoResponse {
        DemoResponse(
            status: .ok,
            headers: HTTPHeaders([("content-type", "image/png")]),
            body: .full(FakeMedia.png(seed: StableHash.of(request.path)))
        )
    }

    // MARK: JSON

    private func success(_ data: Any) -> DemoResponse {
        DemoResponse.json(
            .ok,
            ["code": 0, "message": "SUCCEED", "request_id": StableHash.randomID(length: 22), "data": data]
        )
    }

    private func taskJSON(_ task: KlingTaskStore.Task, status: String, origin: String) -> [String: Any] {
        var info: [String: Any] = [:]
        if let external = task.externalTaskID { info["external_task_id"] = external }
        var data: [String: Any] = [
            "task_id": task.taskID,
            "task_status": status,
            "task_status_msg": "",
            "task_info": info,
            "created_at": task.createdAt,
            "updated_at": task.updatedAt,
        ]
        if status == "succeed" {
            data["final_unit_deduction"] = String(task.count)
            data["task_result"] = [
                "images": (0..<task.count).map { index -> [String: Any] in
                    [
                        "index": index,
                        "url": "\(origin)/bs2/upload-kling-api/\(task.account)/image/\(task.taskID)-\(index)"
                            + "_raw_image_1.png",
                        "watermark_url": "",
                    ]
                }
            ]
        }
        return data
    }
}
