//! `smp serve` and `smp user add`: the studio web app and its accounts.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use smp_store::{Role, Store};

/// Where the data lives: `--database URL`, or SQLite in `--data DIR`.
#[derive(clap::Args, Clone)]
pub struct DataArgs {
    /// Folder for the embedded database and the photo store.
    #[arg(long, value_name = "DIR", default_value = "smp-data")]
    pub(crate) data: PathBuf,
    /// A database URL instead (postgres://... for a chain of studios).
    #[arg(long, value_name = "URL")]
    pub(crate) database: Option<String>,
}

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Send the login cookie over HTTPS only: use when a TLS proxy serves
    /// the app to tablets over the network.
    #[arg(long)]
    secure_cookies: bool,
    /// The address clients reach the app at, for the links it hands out
    /// (aftercare): https://studio.example behind a TLS proxy. Default:
    /// http://ADDR.
    #[arg(long, value_name = "URL", value_parser = public_url)]
    public_url: Option<String>,
    /// A proxy on this machine forwards the requests: take the client's
    /// address (for login throttling) from X-Forwarded-For.
    #[arg(long)]
    behind_proxy: bool,
    /// Keep client photos in an S3-compatible bucket, s3://BUCKET/PREFIX,
    /// instead of the data folder: for a chain's instances sharing one
    /// PostgreSQL database. Credentials and endpoint from AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION and AWS_ENDPOINT.
    #[arg(long, value_name = "URL")]
    photos: Option<String>,
    /// The SMTP server for studios that set none of their own:
    /// smtp://USER:PASSWORD@HOST:PORT (TLS when the server offers it;
    /// ?tls=required to insist) or smtps://... Default: $SMP_SMTP.
    #[arg(long, value_name = "URL", env = "SMP_SMTP")]
    smtp: Option<String>,
    #[command(flatten)]
    data: DataArgs,
}

/// An http(s) address with a host, without a path's trailing slash.
fn public_url(text: &str) -> Result<String, String> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("{text:?} is not an http:// or https:// address"))?;
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err(format!("{text:?} names no host"));
    }
    Ok(text.trim_end_matches('/').to_string())
}

#[derive(clap::Args)]
pub struct UserAddArgs {
    /// Login name: 1-64 characters, no spaces, unique in the studio.
    name: String,
    /// admin, practitioner or front-desk.
    #[arg(long)]
    role: String,
    /// Read the password from standard input.
    #[arg(long, required = true)]
    password_stdin: bool,
    /// The studio's sign-in code (shown under Studio, and by `smp studio
    /// add`); needed once the installation holds several studios.
    #[arg(long, value_name = "CODE")]
    studio: Option<String>,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(clap::Args)]
pub struct StudioAddArgs {
    /// The studio's name.
    name: String,
    /// Login name of its first admin.
    #[arg(long, value_name = "USER")]
    admin: String,
    #[command(flatten)]
    data: DataArgs,
}

/// A new studio of a chain with its first admin, who chooses their own
/// password at the first login: the one-time password is printed once.
pub fn studio_add(args: &StudioAddArgs) -> Result<String> {
    runtime()?.block_on(async {
        let store = open(&args.data).await?;
        let password = smp_store::one_time_password();
        let (studio, _) = store.create_studio_with_admin(&args.name, &args.admin, &password).await?;
        let code = store.studio(&studio).sign_in_code().await?;
        Ok(format!(
            "added the studio {:?} (sign-in code {code}) with its admin {:?}, whose one-time password is\n\n    {password}\n",
            args.name.trim(),
            args.admin.trim()
        ))
    })
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

async fn open(data: &DataArgs) -> Result<Store> {
    match &data.database {
        Some(url) => Store::open(url).await.with_context(|| "cannot open the database".to_string()),
        None => Store::open_in(&data.data)
            .await
            .with_context(|| format!("cannot open the database in {}", data.data.display())),
    }
}

pub fn serve(args: &ServeArgs) -> Result<()> {
    // One line per request on stderr (see smp_web's request log).
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    runtime()?.block_on(async {
        let store = open(&args.data).await?;
        if store.user_count().await? == 0 {
            let studio = match store.first_studio().await? {
                Some(s) => s,
                None => store.create_studio("My studio").await?,
            };
            let password = smp_store::one_time_password();
            store.create_user(&studio, "admin", Role::Admin, &password, true).await?;
            println!(
                "First start: created the user \"admin\" with the one-time password\n\n    {password}\n"
            );
            println!("Log in with it; you will be asked to choose your own.");
        }
        let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{}", args.addr));
        // The outbox's sender runs beside the app, for as long as it does.
        let sender =
            smp_web::mail_sender::MailSender::new(store.clone(), args.smtp.clone(), Default::default());
        tokio::spawn(sender.run(std::future::pending()));
        let mut state =
            smp_web::AppState::new(store, args.data.data.clone()).with_default_smtp(args.smtp.clone());
        if let Some(url) = &args.photos {
            let files = smp_store::PhotoFiles::in_bucket(url)?;
            files.check().await.with_context(|| format!("cannot keep photos in {url}"))?;
            state = state.with_photo_files(files);
        }
        let state = state
            .with_secure_cookies(args.secure_cookies)
            .with_public_url(&public_url)
            .with_proxy(args.behind_proxy);
        let swept = smp_web::sweep_orphans(&state)
            .await
            .map_err(|e| anyhow::anyhow!("cannot sweep the photo store: {e}"))?;
        if swept > 0 {
            println!("Removed {swept} photo files a crash had left without a record.");
        }
        println!("SMP Studio on http://{} (Ctrl-C stops it)", args.addr);
        smp_web::serve(args.addr, state).await.with_context(|| format!("cannot serve on {}", args.addr))
    })
}

pub fn user_add(args: &UserAddArgs) -> Result<String> {
    let Some(role) = Role::parse(&args.role) else {
        bail!("{:?} is not a role: use admin, practitioner or front-desk", args.role);
    };
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password).context("cannot read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    runtime()?.block_on(async {
        let store = open(&args.data).await?;
        let studio = match (&args.studio, store.studio_count().await?) {
            (Some(code), _) => store
                .studio_by_code(code)
                .await?
                .with_context(|| format!("there is no studio with the sign-in code {code:?}"))?,
            (None, 0) => store.create_studio("My studio").await?,
            (None, 1) => store.first_studio().await?.context("the studio has gone")?,
            (None, _) => bail!("there are several studios: say which with --studio CODE"),
        };
        store.create_user(&studio, &args.name, role, password, false).await?;
        Ok(format!("added {} ({})", args.name.trim(), role.as_str()))
    })
}
