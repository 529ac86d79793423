//! [`WebRoot`]: a built web client (octaneWebR's `dist/client/`) served from a folder at `/`, on
//! the proxy's own origin, for the paths no API route claims.
//!
//! tower-http's `ServeDir` does the serving: percent-decoded paths, `..` and absolute segments
//! refused (also when `/` or `\` arrive percent-encoded, since the path is split after
//! decoding), the MIME type from the extension (`.js` is `text/javascript`, which module
//! scripts require), `ETag` and `Last-Modified` with `If-None-Match` / `If-Modified-Since`,
//! byte ranges, `index.html` for a folder, never a listing. What it lacks is added by
//! [`InsideRoot`], its file-system backend here: a path that resolves, through symbolic links,
//! to a place outside the folder is not found.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use http::{Method, Request, Response, StatusCode};
use http_body_util::Empty;
use tower::ServiceExt;
use tower_http::services::ServeDir;
use tower_http::services::fs::{Backend, DefaultServeDirFallback, TokioBackend, TokioFile};

use crate::body::Body;

/// A folder served as a static web site.
#[derive(Clone, Debug)]
pub struct WebRoot {
    folder: Arc<PathBuf>,
    files: ServeDir<DefaultServeDirFallback, InsideRoot>,
}

/// Why a folder cannot be served.
#[derive(Debug, thiserror::Error)]
#[error("cannot serve {folder} as the web root: {source}")]
#[non_exhaustive]
pub struct WebRootError {
    /// The folder as given.
    pub folder: PathBuf,
    /// What the file system said (or that it is not a folder).
    #[source]
    pub source: io::Error,
}

impl WebRoot {
    /// Serves `folder`, which must exist and be a folder; symbolic links in it are followed as
    /// long as they stay inside it.
    pub fn new(folder: impl AsRef<Path>) -> Result<Self, WebRootError> {
        let given = folder.as_ref();
        let failed = |source| WebRootError {
            folder: given.to_owned(),
            source,
        };
        let folder = std::fs::canonicalize(given).map_err(failed)?;
        if !folder.is_dir() {
            return Err(failed(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a folder",
            )));
        }
        let folder = Arc::new(folder);
        let backend = InsideRoot {
            root: folder.clone(),
        };
        let files = ServeDir::with_backend(folder.as_path(), backend)
            .append_index_html_on_directories(true);
        Ok(Self { folder, files })
    }

    /// The folder served, with symbolic links resolved.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Answers a GET or HEAD of a file (or of a folder's `index.html`, or a redirect adding the
    /// slash a folder's path lacks); `None` when there is nothing to serve, so the caller
    /// answers as it would without a web root. The request's body is not read, and the
    /// answer does not borrow the request.
    pub(crate) fn serve<B>(
        &self,
        request: &Request<B>,
    ) -> impl Future<Output = Option<Response<Body>>> + Send + 'static {
        let get = request.method() == Method::GET || request.method() == Method::HEAD;
        let mut head = Request::new(Empty::<bytes::Bytes>::new());
        *head.method_mut() = request.method().clone();
        *head.uri_mut() = request.uri().clone();
        *head.headers_mut() = request.headers().clone();
        let files = self.files.clone();
        async move {
            if !get {
                return None;
            }
            let path = head.uri().path().to_owned();
            let response = match files.oneshot(head).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.status() == StatusCode::NOT_FOUND {
                return None;
            }
            if response.status().is_server_error() {
                tracing::warn!(
                    %path,
                    status = response.status().as_u16(),
                    "a file of the web root could not be read"
                );
            }
            Some(response.map(Body::from_body))
        }
    }
}

/// The local file system, limited to what lies inside `root` once symbolic links are resolved.
#[derive(Clone, Debug)]
struct InsideRoot {
    root: Arc<PathBuf>,
}

impl InsideRoot {
    /// `path` with its links resolved, if that is inside the root; else "not found", as for a
    /// file that does not exist, so nothing tells what lies outside.
    async fn resolve(root: &Path, path: PathBuf) -> io::Result<PathBuf> {
        let resolved = tokio::fs::canonicalize(&path).await?;
        if resolved.starts_with(root) {
            Ok(resolved)
        } else {
            Err(io::Error::new(
                io::ErrorKind::NotFound,
                "outside the web root",
            ))
        }
    }
}

type BoxedFuture<T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send>>;

impl Backend for InsideRoot {
    type File = TokioFile;
    type Metadata = std::fs::Metadata;
    type OpenFuture = BoxedFuture<TokioFile>;
    type MetadataFuture = BoxedFuture<std::fs::Metadata>;

    fn open(&self, path: PathBuf) -> Self::OpenFuture {
        let root = self.root.clone();
        Box::pin(async move {
            let inside = Self::resolve(&root, path).await?;
            TokioBackend.open(inside).await
        })
    }

    fn metadata(&self, path: PathBuf) -> Self::MetadataFuture {
        let root = self.root.clone();
        Box::pin(async move {
            let inside = Self::resolve(&root, path).await?;
            TokioBackend.metadata(inside).await
        })
    }
}
