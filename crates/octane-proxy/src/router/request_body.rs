//! A request body read whole, within its size limit (`413`) and the time a client has to send
//! it (`408`).

use bytes::Bytes;
use http::Request;
use http::header;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::Inner;
use crate::ProxyError;
use crate::body::BoxError;

impl Inner {
    /// Reads the body of `request`, at most `limit` bytes.
    pub(super) async fn read_body<B>(
        &self,
        request: Request<B>,
        limit: usize,
    ) -> Result<Bytes, ProxyError>
    where
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(ProxyError::PayloadTooLarge { limit });
        }
        let collect = Limited::new(request.into_body(), limit).collect();
        match tokio::time::timeout(self.body_timeout, collect).await {
            Err(_elapsed) => Err(ProxyError::BodyTimeout(self.body_timeout)),
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
            Ok(Err(err)) if err.is::<LengthLimitError>() => {
                Err(ProxyError::PayloadTooLarge { limit })
            }
            Ok(Err(err)) => Err(ProxyError::BodyRead(err)),
        }
    }
}
