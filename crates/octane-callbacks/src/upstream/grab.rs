//! The `grabRenderResult` call, its answer decoded while it arrives.
//!
//! tonic's typed client buffers a whole answer and copies it out of its HTTP/2 frames into one
//! buffer before prost decodes it: for a frame, megabytes copied and then read again, cold, by
//! the base64 encoder. This call is made with [`send_unary`] on the [`Channel`] directly, and
//! hands each DATA frame of the answer to a [`GrabDecoder`] as it arrives, whose [`PixelSink`]
//! encodes the pixels at once.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use octane_api::octaneapi::api_render_engine::GrabRenderResultResponse;
use octane_grpc::{Channel, GrpcPiece, UnaryFraming, send_unary};
use tonic::Status;

use super::grab_decoder::{GrabDecodeError, GrabDecoder};
use crate::frames::frame::PixelSink;

/// The RPC's gRPC path (checked against the generated route table in the tests).
const PATH: &str = "/octaneapi.ApiRenderEngineService/grabRenderResult";

/// Bytes of the answer read (and their pixels encoded) between two yields of the task, which
/// come between DATA frames. The answer's DATA frames are often all buffered already when the
/// task reads them; without a yield it would encode a whole frame (about a millisecond for
/// 8 MiB) while calls wait on this worker thread.
const YIELD_EVERY: usize = 1024 * 1024;

/// Calls `grabRenderResult` on `channel` and decodes the answer while it arrives, handing the
/// pixels to `sink`. The answer comes back without its pixel bytes. Octane's status comes back
/// as Octane sent it, the channel's failures as the channel reports them, and a malformed
/// answer as a status whose source is the error found; the caller enforces `timeout`, which is
/// also sent to Octane.
pub(crate) async fn grab_render_result(
    channel: Channel,
    timeout: Duration,
    sink: &mut impl PixelSink,
) -> Result<GrabRenderResultResponse, Status> {
    // The request, `grabRenderResultRequest`, has no fields.
    let mut answer = send_unary(channel, PATH, &[], timeout).await?;
    let mut read = Answer::default();
    let mut since_yield = 0;
    while let Some(data) = answer.data().await {
        let data = data?;
        since_yield += data.len();
        read.read(data, sink)?;
        if since_yield >= YIELD_EVERY {
            since_yield = 0;
            tokio::task::yield_now().await;
        }
    }
    answer.status()?;
    read.finish()
}

/// The answer's one message, decoded while it arrives.
#[derive(Default)]
struct Answer {
    framing: UnaryFraming,
    /// The message's decoder, from its prefix on.
    decoder: Option<GrabDecoder>,
}

impl Answer {
    /// Reads the next bytes of the answer: the message's prefix, then the message itself, which
    /// goes to its decoder piece by piece.
    fn read(&mut self, mut data: Bytes, sink: &mut impl PixelSink) -> Result<(), Status> {
        while let Some(piece) = self.framing.next(&mut data)? {
            match piece {
                GrpcPiece::Prefix { len, .. } => self.decoder = Some(GrabDecoder::new(len)),
                // The framing announces the message before its bytes.
                GrpcPiece::Message(bytes) => {
                    if let Some(decoder) = &mut self.decoder {
                        decoder.feed(bytes, sink).map_err(decode_status)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The decoded message, once the answer has ended.
    fn finish(self) -> Result<GrabRenderResultResponse, Status> {
        self.framing.finish()?;
        // The framing refuses an answer without a message, so the decoder exists.
        match self.decoder {
            Some(decoder) => decoder.finish().map_err(decode_status),
            None => Ok(GrabRenderResultResponse::default()),
        }
    }
}

/// A malformed answer, made on this side: the decode error is its source.
fn decode_status(err: GrabDecodeError) -> Status {
    let mut status = Status::internal(format!("cannot decode Octane's answer: {err}"));
    status.set_source(Arc::new(err));
    status
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use http::header::{CONTENT_TYPE, TE};
    use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response};
    use octane_api::octaneapi::{ApiArrayApiRenderImage, ApiRenderImage, Buffer, Uint322};
    use octane_grpc::status::{ProtocolError, TransportError};
    use prost::Message;
    use tokio::sync::oneshot;
    use tokio::task::JoinHandle;
    use tonic::Code;

    use super::*;

    #[test]
    fn the_path_is_the_generated_routes() {
        let route = octane_proxy::routes::lookup("ApiRenderEngine", "grabRenderResult")
            .expect("a generated route");
        assert_eq!(route.path, PATH);
    }

    /// Ignores pixels.
    struct NoSink;

    impl PixelSink for NoSink {
        fn begin(&mut self, _: usize, _: usize) {}
        fn pixels(&mut self, _: usize, _: Bytes) {}
    }

    /// `message` behind its gRPC prefix, not compressed.
    fn framed(message: &[u8]) -> Vec<u8> {
        let mut out = vec![0];
        out.extend_from_slice(&(message.len() as u32).to_be_bytes());
        out.extend_from_slice(message);
        out
    }

    fn read_all(pieces: &[&[u8]]) -> Result<GrabRenderResultResponse, Status> {
        let mut answer = Answer::default();
        for piece in pieces {
            answer.read(Bytes::copy_from_slice(piece), &mut NoSink)?;
        }
        answer.finish()
    }

    #[test]
    fn a_message_split_anywhere_is_read_whole() {
        // `result: true`.
        let answer = framed(&[0x08, 0x01]);
        for at in 0..=answer.len() {
            let (a, b) = answer.split_at(at);
            let decoded = read_all(&[a, b]).unwrap_or_else(|err| panic!("split at {at}: {err}"));
            assert!(decoded.result, "split at {at}");
        }
        assert!(!read_all(&[&framed(&[])]).expect("an empty message").result);
    }

    #[test]
    fn a_malformed_message_fails_with_its_decode_error() {
        // A tag of field number 0.
        let status = read_all(&[&framed(&[0x00])]).expect_err("refused");
        assert_eq!(status.code(), Code::Internal);
        assert!(status.message().contains("invalid tag"), "{status:?}");
    }

    /// The timeout sent with each call, and the bound on how long a test waits for it: generous,
    /// so a loaded machine never fails a test, while a hang still does.
    const CALL_TIMEOUT: Duration = Duration::from_secs(10);

    /// What a test's server sends after the response headers, in order.
    enum Then {
        /// A DATA frame.
        Data(Bytes),
        /// A DATA frame with END_STREAM.
        LastData(Bytes),
        /// Trailers, which end the stream.
        Trailers(&'static [(&'static str, &'static str)]),
        /// Waits for the client's signal, so that what went before has arrived there.
        Wait(oneshot::Receiver<()>),
        /// RST_STREAM.
        Reset(h2::Reason),
    }

    /// An HTTP/2 server standing in for Octane: it answers one call with exactly the frames a
    /// test scripts, which a gRPC server library would not send, and records the request. Dropping it
    /// stops it.
    struct RawOctane {
        address: SocketAddr,
        request: oneshot::Receiver<Request<Bytes>>,
        server: JoinHandle<()>,
    }

    impl RawOctane {
        /// Listens on a free local port and answers the first call with headers of HTTP
        /// `status` and `headers` (ending the stream if nothing follows), then `then`.
        async fn answering(
            status: u16,
            headers: &'static [(&'static str, &'static str)],
            then: Vec<Then>,
        ) -> Self {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let address = listener.local_addr().expect("address");
            let (recorded, request) = oneshot::channel();
            let server = tokio::spawn(async move {
                let (tcp, _) = listener.accept().await.expect("accept");
                let mut connection = h2::server::handshake(tcp).await.expect("handshake");
                let (call, respond) = connection
                    .accept()
                    .await
                    .expect("a call")
                    .expect("a valid call");
                let mut response = Response::builder().status(status);
                for &(name, value) in headers {
                    response = response.header(name, value);
                }
                let response = response.body(()).expect("a valid head");
                // The call's frames go out only while the connection is polled.
                let drive = async { while connection.accept().await.is_some() {} };
                tokio::join!(answer(call, respond, response, then, recorded), drive);
            });
            Self {
                address,
                request,
                server,
            }
        }

        /// Calls `grabRenderResult` on this server, checks that the request is exactly the one
        /// tonic would send, and returns the call's result.
        async fn grab(&mut self, sink: &mut Pixels) -> Result<GrabRenderResultResponse, Status> {
            let channel = Channel::lazy(&self.address.to_string()).expect("an address");
            let result = tokio::time::timeout(
                CALL_TIMEOUT,
                grab_render_result(channel, CALL_TIMEOUT, sink),
            )
            .await
            .expect("the call ends in time");
            let request = (&mut self.request).await.expect("the server got the call");
            assert_eq!(request.method(), Method::POST);
            assert_eq!(
                request.uri().path(),
                "/octaneapi.ApiRenderEngineService/grabRenderResult"
            );
            let header = |name| request.headers().get(name).and_then(|v| v.to_str().ok());
            assert_eq!(header(CONTENT_TYPE), Some("application/grpc"));
            assert_eq!(header(TE), Some("trailers"));
            assert_eq!(
                header(HeaderName::from_static("grpc-timeout")),
                Some("10000m")
            );
            assert_eq!(request.body()[..], [0; 5]);
            result
        }
    }

    impl Drop for RawOctane {
        fn drop(&mut self) {
            self.server.abort();
        }
    }

    /// Records the call's request, then sends `response` and what follows it.
    async fn answer(
        call: Request<h2::RecvStream>,
        respond: h2::server::SendResponse<Bytes>,
        response: Response<()>,
        then: Vec<Then>,
        recorded: oneshot::Sender<Request<Bytes>>,
    ) {
        let (head, mut body) = call.into_parts();
        let mut received = Vec::new();
        while let Some(data) = body.data().await {
            let data = data.expect("the request body");
            body.flow_control()
                .release_capacity(data.len())
                .expect("the stream is open");
            received.extend_from_slice(&data);
        }
        // Fails only if the test is gone already.
        let _ = recorded.send(Request::from_parts(head, Bytes::from(received)));
        // Fails once the client has its result and resets the stream (after a refused message,
        // say): what the test checks is on the client's side.
        let _ = replay(respond, response, then).await;
    }

    /// Sends `response`, ending the stream if nothing follows, then each of `then`.
    async fn replay(
        mut respond: h2::server::SendResponse<Bytes>,
        response: Response<()>,
        then: Vec<Then>,
    ) -> Result<(), h2::Error> {
        let mut stream = respond.send_response(response, then.is_empty())?;
        for step in then {
            match step {
                Then::Data(data) => stream.send_data(data, false)?,
                Then::LastData(data) => stream.send_data(data, true)?,
                Then::Trailers(fields) => {
                    let mut trailers = HeaderMap::new();
                    for &(name, value) in fields {
                        trailers.insert(name, HeaderValue::from_static(value));
                    }
                    stream.send_trailers(trailers)?;
                }
                // A dropped sender (the client gave up) ends the wait too.
                Then::Wait(signal) => _ = signal.await,
                Then::Reset(reason) => stream.send_reset(reason),
            }
        }
        Ok(())
    }

    /// Collects each image's announced length and pixels, checking they arrive in order; on
    /// the first piece it signals `first_piece`, for a server that waits for it.
    #[derive(Default)]
    struct Pixels {
        images: Vec<(usize, Vec<u8>)>,
        first_piece: Option<oneshot::Sender<()>>,
    }

    impl PixelSink for Pixels {
        fn begin(&mut self, image: usize, len: usize) {
            assert_eq!(image, self.images.len(), "images begin in order, once each");
            self.images.push((len, Vec::new()));
        }

        fn pixels(&mut self, image: usize, piece: Bytes) {
            assert_eq!(
                image + 1,
                self.images.len(),
                "pixels of the image begun last"
            );
            self.images[image].1.extend_from_slice(&piece);
            if let Some(signal) = self.first_piece.take() {
                // Fails only if the server is gone.
                let _ = signal.send(());
            }
        }
    }

    /// An answer as Octane sends it: two images, their pixels long enough to span DATA frames.
    fn rendered() -> GrabRenderResultResponse {
        let image = |seed: u8, len: usize| ApiRenderImage {
            size: Some(Uint322 { x: 16, y: 8 }),
            pitch: 64,
            buffer: Some(Buffer {
                data: (0..len)
                    .map(|i| (i as u8).wrapping_mul(31) ^ seed)
                    .collect::<Vec<_>>()
                    .into(),
                size: len as u32,
            }),
            ..ApiRenderImage::default()
        };
        GrabRenderResultResponse {
            result: true,
            render_images: Some(ApiArrayApiRenderImage {
                data: vec![image(1, 300), image(2, 257)],
            }),
        }
    }

    /// `rendered()` with its gRPC prefix, as it goes on the wire.
    fn rendered_wire() -> Bytes {
        framed(&rendered().encode_to_vec()).into()
    }

    /// The status a call failed with, once its code and message are checked.
    fn failed(
        result: Result<GrabRenderResultResponse, Status>,
        code: Code,
        message: &str,
    ) -> Status {
        let status = result.expect_err("the call fails");
        assert_eq!(status.code(), code, "{status:?}");
        assert_eq!(status.message(), message, "{status:?}");
        status
    }

    /// Checks that a call failed with a status made here: `code`, the message `protocol error:
    /// {what}`, and a `ProtocolError` of `what` as its source.
    fn failed_here(
        result: Result<GrabRenderResultResponse, Status>,
        code: Code,
        what: &'static str,
    ) {
        let status = failed(result, code, &format!("protocol error: {what}"));
        assert_eq!(
            protocol_error_of(&status),
            Some(&ProtocolError::Framing(what))
        );
    }

    /// The `ProtocolError` that marks `status` as made here, if it has one.
    fn protocol_error_of(status: &Status) -> Option<&ProtocolError> {
        std::error::Error::source(status)?.downcast_ref::<ProtocolError>()
    }

    /// The answer's trailers when Octane succeeded.
    const OK: &[(&str, &str)] = &[("grpc-status", "0")];
    /// The headers of a gRPC answer.
    const GRPC: &[(&str, &str)] = &[("content-type", "application/grpc")];

    #[tokio::test]
    async fn an_answer_in_several_data_frames_is_decoded_and_its_pixels_delivered() {
        let wire = rendered_wire();
        // Cuts inside the prefix (twice), right after it, and inside the pixels.
        let cuts = [0, 1, 3, 5, 9, wire.len() / 2, wire.len()];
        let mut then: Vec<Then> = cuts
            .windows(2)
            .map(|cut| Then::Data(wire.slice(cut[0]..cut[1])))
            .collect();
        then.push(Then::Trailers(OK));
        let mut octane = RawOctane::answering(200, GRPC, then).await;
        let mut sink = Pixels::default();
        let response = octane.grab(&mut sink).await.expect("the call succeeds");

        let mut expected = rendered();
        let mut pixels = Vec::new();
        for image in expected.render_images.iter_mut().flat_map(|i| &mut i.data) {
            let buffer = image.buffer.as_mut().expect("a buffer");
            let data = std::mem::take(&mut buffer.data).to_vec();
            pixels.push((data.len(), data));
        }
        assert_eq!(response, expected);
        assert_eq!(sink.images, pixels);
    }

    #[tokio::test]
    async fn a_trailers_only_error_is_octanes_status() {
        let headers = &[
            ("content-type", "application/grpc"),
            ("grpc-status", "5"),
            ("grpc-message", "no%20render%20target"),
        ];
        let mut octane = RawOctane::answering(200, headers, Vec::new()).await;
        let result = octane.grab(&mut Pixels::default()).await;
        let status = failed(result, Code::NotFound, "no render target");
        assert!(std::error::Error::source(&status).is_none(), "{status:?}");
    }

    #[tokio::test]
    async fn a_trailers_only_ok_is_a_missing_message() {
        let headers = &[("content-type", "application/grpc"), ("grpc-status", "0")];
        let mut octane = RawOctane::answering(200, headers, Vec::new()).await;
        let result = octane.grab(&mut Pixels::default()).await;
        failed_here(
            result,
            Code::Internal,
            "Octane answered OK without a message",
        );
    }

    #[tokio::test]
    async fn an_http_status_without_a_grpc_status_is_mapped_as_grpc_says() {
        let headers = &[("content-type", "text/plain")];
        let then = vec![Then::LastData(Bytes::from_static(b"no upstream"))];
        let mut octane = RawOctane::answering(503, headers, then).await;
        let result = octane.grab(&mut Pixels::default()).await;
        let status = failed(
            result,
            Code::Unavailable,
            "Octane answered HTTP 503 Service Unavailable",
        );
        assert_eq!(
            protocol_error_of(&status),
            Some(&ProtocolError::HttpStatus(
                http::StatusCode::SERVICE_UNAVAILABLE
            ))
        );
    }

    #[tokio::test]
    async fn an_error_in_the_trailers_after_the_message_is_octanes_status() {
        let then = vec![
            Then::Data(rendered_wire()),
            Then::Trailers(&[("grpc-status", "13"), ("grpc-message", "render failed")]),
        ];
        let mut octane = RawOctane::answering(200, GRPC, then).await;
        let result = octane.grab(&mut Pixels::default()).await;
        let status = failed(result, Code::Internal, "render failed");
        assert!(std::error::Error::source(&status).is_none(), "{status:?}");
    }

    #[tokio::test]
    async fn trailers_without_a_grpc_status_are_unknown() {
        let then = vec![
            Then::Data(rendered_wire()),
            Then::Trailers(&[("x-octane", "done")]),
        ];
        let mut octane = RawOctane::answering(200, GRPC, then).await;
        let result = octane.grab(&mut Pixels::default()).await;
        failed_here(
            result,
            Code::Unknown,
            "Octane's answer ended without a grpc-status",
        );
    }

    #[tokio::test]
    async fn a_second_message_fails_the_call() {
        let then = vec![
            Then::Data(rendered_wire()),
            Then::Data(framed(&[0x08, 0x01]).into()),
            Then::Trailers(OK),
        ];
        let mut octane = RawOctane::answering(200, GRPC, then).await;
        let result = octane.grab(&mut Pixels::default()).await;
        failed_here(
            result,
            Code::Internal,
            "Octane answered a unary call with more than one message",
        );
    }

    #[tokio::test]
    async fn a_compressed_message_fails_the_call() {
        let mut wire = rendered_wire().to_vec();
        wire[0] = 1;
        let then = vec![Then::Data(wire.into()), Then::Trailers(OK)];
        let mut octane = RawOctane::answering(200, GRPC, then).await;
        let result = octane.grab(&mut Pixels::default()).await;
        failed_here(
            result,
            Code::Internal,
            "Octane sent a compressed message, and no compression was offered",
        );
    }

    #[tokio::test]
    async fn a_stream_ending_inside_the_message_without_trailers_fails_the_call() {
        let wire = rendered_wire();
        let then = vec![Then::LastData(wire.slice(..wire.len() - 1))];
        let mut octane = RawOctane::answering(200, GRPC, then).await;
        let result = octane.grab(&mut Pixels::default()).await;
        failed_here(
            result,
            Code::Unknown,
            "Octane's answer ended without a grpc-status",
        );
    }

    #[tokio::test]
    async fn an_ok_after_a_cut_message_fails_the_call() {
        let wire = rendered_wire();
        let then = vec![Then::Data(wire.slice(..wire.len() - 1)), Then::Trailers(OK)];
        let mut octane = RawOctane::answering(200, GRPC, then).await;
        let result = octane.grab(&mut Pixels::default()).await;
        failed_here(
            result,
            Code::Internal,
            "Octane's answer ended inside a message",
        );
    }

    #[tokio::test]
    async fn a_stream_reset_inside_the_message_is_the_channels_status() {
        let reasons = [
            (h2::Reason::CANCEL, Code::Cancelled),
            (h2::Reason::REFUSED_STREAM, Code::Unavailable),
            (h2::Reason::ENHANCE_YOUR_CALM, Code::ResourceExhausted),
            (h2::Reason::INTERNAL_ERROR, Code::Internal),
            (h2::Reason::FLOW_CONTROL_ERROR, Code::Internal),
        ];
        for (reason, code) in reasons {
            let wire = rendered_wire();
            let (first_piece, pixels_arrived) = oneshot::channel();
            // Resets only once pixels arrived, so the reset comes inside the message.
            let then = vec![
                Then::Data(wire.slice(..wire.len() / 2)),
                Then::Wait(pixels_arrived),
                Then::Reset(reason),
            ];
            let mut octane = RawOctane::answering(200, GRPC, then).await;
            let mut sink = Pixels {
                first_piece: Some(first_piece),
                ..Pixels::default()
            };
            let status = octane.grab(&mut sink).await.expect_err("the call fails");
            assert_eq!(status.code(), code, "{reason:?}: {status:?}");
            let transport = std::error::Error::source(&status)
                .and_then(|source| source.downcast_ref::<TransportError>())
                .expect("a transport error");
            let h2 = std::error::Error::source(transport)
                .and_then(|source| source.downcast_ref::<h2::Error>())
                .expect("an h2 error");
            assert!(h2.is_remote(), "{h2:?}");
            assert_eq!(h2.reason(), Some(reason));
            assert!(!sink.images.is_empty(), "pixels arrived before the reset");
        }
    }

    #[tokio::test]
    async fn a_grpc_status_beside_an_http_error_is_octanes_status() {
        let headers = &[
            ("content-type", "application/grpc"),
            ("grpc-status", "14"),
            ("grpc-message", "render%20node%20busy"),
        ];
        let mut octane = RawOctane::answering(503, headers, Vec::new()).await;
        let result = octane.grab(&mut Pixels::default()).await;
        let status = failed(result, Code::Unavailable, "render node busy");
        assert!(std::error::Error::source(&status).is_none(), "{status:?}");
    }

    #[tokio::test]
    async fn undecodable_status_details_are_dropped_and_octanes_status_kept() {
        // Not base64: tonic would panic decoding it.
        let headers = &[
            ("content-type", "application/grpc"),
            ("grpc-status", "5"),
            ("grpc-message", "no%20render%20target"),
            ("grpc-status-details-bin", "not base64!"),
        ];
        let mut octane = RawOctane::answering(200, headers, Vec::new()).await;
        let result = octane.grab(&mut Pixels::default()).await;
        let status = failed(result, Code::NotFound, "no render target");
        assert_eq!(status.details(), b"");

        let trailers = &[
            ("grpc-status", "9"),
            ("grpc-message", "render%20stopped"),
            ("grpc-status-details-bin", "%%%%"),
        ];
        let then = vec![Then::Data(rendered_wire()), Then::Trailers(trailers)];
        let mut octane = RawOctane::answering(200, GRPC, then).await;
        let result = octane.grab(&mut Pixels::default()).await;
        let status = failed(result, Code::FailedPrecondition, "render stopped");
        assert_eq!(status.details(), b"");
    }

    #[tokio::test]
    async fn decodable_status_details_reach_the_caller() {
        let trailers = &[
            ("grpc-status", "9"),
            ("grpc-message", "render%20stopped"),
            // "octane", unpadded as gRPC sends it.
            ("grpc-status-details-bin", "b2N0YW5l"),
        ];
        let then = vec![Then::Data(rendered_wire()), Then::Trailers(trailers)];
        let mut octane = RawOctane::answering(200, GRPC, then).await;
        let result = octane.grab(&mut Pixels::default()).await;
        let status = failed(result, Code::FailedPrecondition, "render stopped");
        assert_eq!(status.details(), b"octane");
    }
}
