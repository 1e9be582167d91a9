import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A reply: its status, its headers (names lowercased) and its body.
struct HTTPReply {
    var status: Int
    var headers: [String: String]
    var body: Data
}

/// Blocking HTTP/1.1 over Foundation's URLSession (libcurl underneath on Linux), one connection
/// kept alive between requests. The explorer calls it from its decode thread, the commands from
/// their only one; nothing here touches a terminal.
final class HTTPClient: @unchecked Sendable {
    private let session: URLSession

    init() {
        let config = URLSessionConfiguration.ephemeral
        config.httpMaximumConnectionsPerHost = 2
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: config)
    }

    deinit { session.invalidateAndCancel() }

    /// Sends one request and waits for the whole reply, or for `timeout` seconds. Transport
    /// failures become `RemoteError.unreachable` with the reason in words.
    func send(_ method: String, _ url: URL, headers: [String: String] = [:], body: Data? = nil,
              timeout: Double) throws -> HTTPReply {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = method
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        request.httpBody = body
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: (Data?, URLResponse?, Error?) = (nil, nil, nil)
        let task = session.dataTask(with: request) { data, response, error in
            outcome = (data, response, error)
            done.signal()
        }
        task.resume()
        // URLSession's own timeout covers an idle connection; this bounds the whole exchange.
        if done.wait(timeout: .now() + timeout + 1) == .timedOut {
            task.cancel()
            throw RemoteError.unreachable(url: url.absoluteString, reason: "no reply within \(Self.seconds(timeout))")
        }
        if let error = outcome.2 {
            throw RemoteError.unreachable(url: url.absoluteString, reason: Self.reason(error, timeout: timeout))
        }
        guard let http = outcome.1 as? HTTPURLResponse else {
            throw RemoteError.badReply(url: url.absoluteString, reason: "the reply is not HTTP")
        }
        var fields: [String: String] = [:]
        for (k, v) in http.allHeaderFields {
            if let k = k as? String, let v = v as? String { fields[k.lowercased()] = v }
        }
        return HTTPReply(status: http.statusCode, headers: fields, body: outcome.0 ?? Data())
    }

    static func seconds(_ t: Double) -> String { t == t.rounded() ? "\(Int(t)) s" : String(format: "%.1f s", t) }

    /// The words for a transport failure ("connection refused"), not Foundation's sentence.
    static func reason(_ error: Error, timeout: Double) -> String {
        guard let e = error as? URLError else { return "\(error)" }
        switch e.code {
        case .cannotConnectToHost: return "connection refused"
        case .timedOut: return "no reply within \(seconds(timeout))"
        case .cannotFindHost, .dnsLookupFailed: return "unknown host"
        case .networkConnectionLost: return "the connection was lost"
        case .notConnectedToInternet: return "no network"
        case .badServerResponse: return "the server's reply is not HTTP"
        case .unsupportedURL: return "not an http:// or https:// address"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
            return "TLS failed (\(e.localizedDescription))"
        default: return e.localizedDescription
        }
    }
}
