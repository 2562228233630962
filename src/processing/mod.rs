//! Making uploads playable. After an upload arrives, [`Processing::triage`] probes it (ffprobe):
//! a file browsers play goes live at once; any other becomes a job that rewrites it as MP4 in the
//! background (streams copied when browsers decode them, a remux; otherwise encoded to H.264/AAC),
//! at most `processing_jobs` at a time. The room hears each job's progress and end; the old video
//! plays until the new one is ready, which then becomes current (or joins the queue). The upload
//! and the conversion's output are hidden temporary files of the media folder, never served, and
//! deleted when the job ends however it ends; jobs live in memory only, so a restart forgets them
//! and the start-up sweep of the media folder deletes their files.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use tempfile::NamedTempFile;
use tokio::sync::{Semaphore, watch};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    client::ClientId,
    clock::now_ms,
    config::Config,
    db::{self, Db},
    hub::{Hub, UploadGuard},
    media::{
        Container, MediaStore, ReceivedUpload, convert,
        probe::{self, Conversion, Plan, Probe, ProbeError},
        tools::Tools,
    },
    room::{Video, VideoInfo, VideoSource},
    subtitles::extract,
    view::{JobState, ProcessingView},
};

/// Progress reaches the room at most this often per job.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// Attempts at a free file number (a number is taken only by files put in the folder by hand).
const NUMBERING_ATTEMPTS: usize = 100;

#[derive(Clone)]
pub struct Processing {
    inner: Arc<Inner>,
}

struct Inner {
    /// None: no ffmpeg, nothing is probed or converted.
    tools: Option<Tools>,
    preset: String,
    slots: Semaphore,
    next_job: AtomicU64,
    db: Db,
    media: MediaStore,
    hub: Hub,
    /// Cancelled at shutdown: running conversions stop.
    stopping: CancellationToken,
    jobs: TaskTracker,
}

/// What becomes of a received upload.
pub enum Triage {
    /// Browsers play it: store it now.
    Ready {
        upload: ReceivedUpload,
        info: VideoInfo,
    },
    /// It needs converting first: [`Processing::start`] it.
    Convert(Pending),
}

/// An upload waiting to be converted.
pub struct Pending {
    upload: ReceivedUpload,
    conversion: Conversion,
    probe: Probe,
}

/// Where a converted upload goes, and who asked.
pub struct Order {
    pub room: String,
    pub by: ClientId,
    /// The file's name, for display.
    pub name: String,
    /// Join the queue instead of playing at once.
    pub queue: bool,
    /// Keeps the room in memory (and from expiring) while the job runs.
    pub activity: UploadGuard,
}

impl Processing {
    pub fn new(config: &Config, db: Db, media: MediaStore, hub: Hub) -> Self {
        let tools = Tools::find(&config.ffprobe_path, &config.ffmpeg_path);
        media.use_tools(tools.clone());
        Self {
            inner: Arc::new(Inner {
                tools,
                preset: config.transcode_preset.clone(),
                slots: Semaphore::new(config.processing_jobs),
                next_job: AtomicU64::new(1),
                db,
                media,
                hub,
                stopping: CancellationToken::new(),
                jobs: TaskTracker::new(),
            }),
        }
    }

    /// Probes a received upload and decides. Without ffmpeg every upload is taken as it is (the
    /// media store took only containers browsers play). An MP4, WebM or Ogg file ffprobe cannot
    /// read is taken as it is too (browsers may manage; this is how it was before probing); any
    /// other unreadable file is refused with ffprobe's reason.
    pub async fn triage(&self, upload: ReceivedUpload) -> Result<Triage, ProbeError> {
        let Some(tools) = &self.inner.tools else {
            return Ok(Triage::Ready {
                upload,
                info: VideoInfo::default(),
            });
        };
        let probe = match probe::probe(&tools.ffprobe, upload.path()).await {
            Ok(probe) => probe,
            Err(error) if is_web_container(upload.container) => {
                tracing::debug!(%error, "taking an upload ffprobe cannot read as it is");
                return Ok(Triage::Ready {
                    upload,
                    info: VideoInfo::default(),
                });
            }
            Err(error) => return Err(error),
        };
        Ok(match probe::decide(upload.container, &probe) {
            Plan::AsIs => Triage::Ready {
                info: probe.info(),
                upload,
            },
            Plan::Convert(conversion) => Triage::Convert(Pending {
                upload,
                conversion,
                probe,
            }),
        })
    }

    /// Adds a poster frame to a stored video's `info` (when ffmpeg is there and the file has a
    /// picture); a poster that fails is logged and left out.
    pub async fn with_poster(&self, file_name: &str, info: VideoInfo) -> VideoInfo {
        let video = self.inner.media.path_of(file_name);
        let poster = self.take_poster(&video, &info).await;
        self.keep_poster(poster, file_name, info)
    }

    /// A poster frame of the video at `path` in a temporary file; None without ffmpeg, without a
    /// picture, or when it fails (logged).
    async fn take_poster(&self, path: &Path, info: &VideoInfo) -> Option<NamedTempFile> {
        let tools = self.inner.tools.as_ref()?;
        info.width?;
        let made = async {
            let temp = self
                .inner
                .media
                .temp_file()
                .map_err(|error| error.to_string())?;
            convert::poster(&tools.ffmpeg, path, temp.path(), info.duration).await?;
            Ok::<_, String>(temp)
        };
        made.await
            .inspect_err(|reason| tracing::warn!(%reason, "could not take a poster frame"))
            .ok()
    }

    /// Stores a poster taken for the video stored as `file_name` beside it, noting it in `info`.
    fn keep_poster(
        &self,
        poster: Option<NamedTempFile>,
        file_name: &str,
        mut info: VideoInfo,
    ) -> VideoInfo {
        let Some(temp) = poster else {
            return info;
        };
        let name = crate::media::poster_name(file_name);
        match temp.persist(self.inner.media.path_of(&name)) {
            Ok(_) => info.poster = Some(name),
            Err(error) => {
                tracing::warn!(file = file_name, %error, "could not store a poster frame")
            }
        }
        info
    }

    /// Starts converting `pending` in the background; returns the job as it stands (queued).
    pub fn start(&self, pending: Pending, order: Order) -> ProcessingView {
        let id = self.inner.next_job.fetch_add(1, Ordering::Relaxed);
        let job = Job {
            view: ProcessingView {
                job: id,
                name: order.name.clone(),
                state: JobState::Queued,
                percent: 0.0,
                reason: None,
                by: order.by,
                kind: match pending.conversion.is_remux() {
                    true => "remux".into(),
                    false => "transcode".into(),
                },
                queue: order.queue,
            },
            cancel: self.inner.stopping.child_token(),
            processing: self.clone(),
        };
        let view = job.view.clone();
        tracing::info!(room = %order.room, job = id, kind = %view.kind, "conversion queued");
        self.inner.jobs.spawn(job.run(pending, order));
        view
    }

    /// Shutdown: stops every conversion (their files are deleted) and waits for the jobs to end.
    pub async fn stop(&self) {
        self.inner.stopping.cancel();
        self.inner.jobs.close();
        self.inner.jobs.wait().await;
    }
}

/// Containers browsers play as they are when their codecs suit.
fn is_web_container(container: Container) -> bool {
    matches!(container, Container::Mp4 | Container::WebM | Container::Ogg)
}

/// One conversion, from queued to its end.
struct Job {
    view: ProcessingView,
    cancel: CancellationToken,
    processing: Processing,
}

impl Job {
    async fn run(mut self, pending: Pending, order: Order) {
        self.tell(&order.room).await;
        let inner = self.processing.inner.clone();
        let permit = tokio::select! {
            permit = inner.slots.acquire() => permit.ok(),
            () = self.cancel.cancelled() => None,
        };
        let started = Instant::now();
        let outcome = match permit {
            Some(_) => self.convert_and_publish(pending, &order).await,
            None => Err(convert::ConvertError::Cancelled),
        };
        match outcome {
            Ok(video_id) => {
                let secs = started.elapsed().as_secs_f64();
                tracing::info!(room = %order.room, job = self.view.job, video = video_id, secs, "conversion done");
                self.view.state = JobState::Ready;
                self.view.percent = 100.0;
            }
            Err(convert::ConvertError::Cancelled) => {
                tracing::info!(room = %order.room, job = self.view.job, "conversion cancelled");
                self.view.state = JobState::Cancelled;
            }
            Err(convert::ConvertError::Failed(reason)) => {
                tracing::warn!(room = %order.room, job = self.view.job, %reason, "conversion failed");
                self.view.state = JobState::Failed;
                self.view.reason = Some(reason);
            }
        }
        // Told while the slot is still held: the next job's start comes after this end.
        self.tell(&order.room).await;
        drop(permit);
    }

    /// Tells the room where the job stands (a room gone meanwhile is noticed at publishing).
    async fn tell(&self, room: &str) {
        let hub = &self.processing.inner.hub;
        if let Err(error) = hub
            .processing(room, self.view.clone(), self.cancel.clone())
            .await
        {
            tracing::debug!(room, %error, "could not tell a room about its job");
        }
    }

    /// Converts, then stores the result and gives it to the room. Returns the new video's ID.
    async fn convert_and_publish(
        &mut self,
        pending: Pending,
        order: &Order,
    ) -> Result<i64, convert::ConvertError> {
        use convert::ConvertError::Failed;
        let inner = self.processing.inner.clone();
        let tools = inner.tools.as_ref().expect("jobs start only with ffmpeg");
        self.view.state = JobState::Progress;
        self.tell(&order.room).await;
        let output = inner
            .media
            .temp_file()
            .map_err(|error| Failed(format!("could not make a temporary file: {error}")))?;
        let input = pending.upload.path().to_path_buf();
        let args =
            convert::conversion_args(&input, output.path(), pending.conversion, &inner.preset);
        let (progress, mut seen) = watch::channel(0.0);
        let work = convert::run(&tools.ffmpeg, args, &input, &progress, &self.cancel);
        // The poster is taken from the input meanwhile (a second core, if any, is otherwise idle
        // during a remux), so it adds nothing to the wait.
        let info = pending.probe.converted_info(pending.conversion);
        let poster = self.processing.take_poster(&input, &info);
        // Text subtitles too: the MP4 keeps only the picture and the sound, and the input goes.
        let subtitles = extract::extract(tools, &input);
        tokio::pin!(work, poster, subtitles);
        let mut poster_taken = None;
        let mut subtitles_found = None;
        let mut throttle = convert::Throttle::new(PROGRESS_EVERY);
        let converted = loop {
            tokio::select! {
                done = &mut work => break done,
                taken = &mut poster, if poster_taken.is_none() => poster_taken = Some(taken),
                found = &mut subtitles, if subtitles_found.is_none() => subtitles_found = Some(found),
                Ok(()) = seen.changed() => {
                    let seconds = *seen.borrow_and_update();
                    if throttle.due(Instant::now()) {
                        order.activity.progress(now_ms());
                        self.view.percent = convert::percent(seconds, pending.probe.duration);
                        self.tell(&order.room).await;
                    }
                }
            }
        };
        converted?;
        tracing::debug!(job = self.view.job, "ffmpeg done");
        let poster = match poster_taken {
            Some(taken) => taken,
            None => poster.await,
        };
        let subtitles = match subtitles_found {
            Some(found) => found,
            None => subtitles.await,
        };
        // The input is no longer needed: free its space before the output is stored.
        drop(pending);
        let size = output
            .as_file()
            .metadata()
            .map(|meta| meta.len())
            .unwrap_or(0);
        let upload = ReceivedUpload::from_temp(output, Container::Mp4, size);
        let (id, file_name) = store_numbered(&inner.db, &inner.media, upload)
            .await
            .map_err(|error| Failed(format!("could not store the converted file: {error}")))?;
        let info = self
            .processing
            .keep_poster(poster, &file_name, info.clone());
        let video = Video {
            id,
            source: VideoSource::File {
                file_name: file_name.clone(),
            },
            original_name: order.name.clone(),
            size,
            mime: Container::Mp4.mime().to_string(),
            info,
        };
        let id = video.id;
        let hub = &inner.hub;
        let given = match order.queue {
            true => hub
                .queue_add(&order.room, order.by, video)
                .await
                .map(|answer| answer.map(|added| added.map(drop))),
            false => hub.set_video(&order.room, order.by, video).await,
        };
        let reason = match given {
            Ok(Some(Ok(()))) => {
                if !order.queue {
                    let (hub, room) = (hub.clone(), order.room.clone());
                    tokio::spawn(
                        async move { hub.add_found_subtitles(&room, id, subtitles).await },
                    );
                }
                return Ok(id);
            }
            Ok(Some(Err(denied))) => format!("the room refused the video: {denied}"),
            Ok(None) => "the room is gone".to_string(),
            Err(error) => format!("the room could not take the video: {error}"),
        };
        inner.media.remove(&file_name);
        Err(Failed(reason))
    }
}

/// Gives a finished file (an upload, or a conversion's output) the next free number in the media
/// folder; returns the number, which is also the video's ID, and the file name.
pub async fn store_numbered(
    db: &Db,
    media: &MediaStore,
    mut upload: ReceivedUpload,
) -> anyhow::Result<(i64, String)> {
    for _ in 0..NUMBERING_ATTEMPTS {
        let number = db::videos::next_number(db).await?;
        match media.store(upload, number) {
            Ok(file_name) => return Ok((number, file_name)),
            Err((back, error)) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                upload = back;
            }
            Err((_, error)) => return Err(error.into()),
        }
    }
    anyhow::bail!("every file number tried was taken")
}
