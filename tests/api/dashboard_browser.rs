//! A browser for the dashboard tests: one session cookie, no redirects followed (so each
//! test sees the 303s), forms posted with the session's CSRF token as the pages carry it.

use crate::helpers::TestApp;
use regex::Regex;
use reqwest::header::HeaderMap;
use reqwest::redirect::Policy;

/// One answer of a dashboard page.
pub struct Page {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The HTML.
    pub text: String,
}

impl Page {
    /// A header's value, or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Where a 303 points.
    #[track_caller]
    pub fn location(&self) -> &str {
        assert_eq!(self.status, 303, "expected a redirect: {}", self.text);
        self.header("location")
    }

    /// The CSRF token of the page's forms.
    #[track_caller]
    pub fn csrf(&self) -> String {
        let re = Regex::new(r#"name="csrf" value="([0-9a-f]{64})""#).expect("regex");
        re.captures(&self.text)
            .map(|c| c[1].to_owned())
            .unwrap_or_else(|| panic!("no CSRF token in {}", self.text))
    }

    /// Every `href` of the page.
    pub fn links(&self) -> Vec<String> {
        let re = Regex::new(r#"href="([^"]*)""#).expect("regex");
        re.captures_iter(&self.text)
            .map(|c| c[1].replace("&amp;", "&"))
            .collect()
    }
}

/// A person at a browser.
pub struct Browser {
    base: String,
    client: reqwest::Client,
    /// `purrlist_session=…`, once signed in.
    pub cookie: Option<String>,
    /// The session's CSRF token, once signed in.
    pub csrf: String,
}

impl Browser {
    /// A browser with no session.
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            base: app.address.clone(),
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("client"),
            cookie: None,
            csrf: String::new(),
        }
    }

    /// A browser signed in with `key`; panics unless the sign-in succeeds.
    pub async fn signed_in(app: &TestApp, key: &str) -> Browser {
        let mut browser = Browser::new(app);
        let page = browser.sign_in(key).await;
        assert_eq!(page.location(), "/admin");
        let home = browser.get("/admin").await;
        assert_eq!(home.status, 200, "{}", home.text);
        browser.csrf = home.csrf();
        browser
    }

    /// Posts the sign-in form; keeps the cookie it sets.
    pub async fn sign_in(&mut self, key: &str) -> Page {
        let page = self.post_raw("/admin/login", &[("key", key)]).await;
        if let Some(cookie) = page.headers.get("set-cookie").and_then(|v| v.to_str().ok()) {
            let pair = cookie.split(';').next().unwrap_or("").to_owned();
            self.cookie = (!pair.ends_with('=')).then_some(pair);
        }
        page
    }

    async fn read(response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        assert!(status < 500, "server error {status}: {text}");
        Page {
            status,
            headers,
            text,
        }
    }

    fn with_cookie(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            Some(cookie) => request.header("cookie", cookie),
            None => request,
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.base));
        Browser::read(self.with_cookie(request).send().await.expect("GET")).await
    }

    /// Posts `fields` as they are (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_with(path, fields, &[]).await
    }

    /// Posts `fields` with extra request headers.
    pub async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Browser::read(self.with_cookie(request).send().await.expect("POST")).await
    }

    /// Posts a multipart form (a file upload).
    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> Page {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .multipart(form);
        Browser::read(self.with_cookie(request).send().await.expect("POST")).await
    }

    /// Posts `fields` with the session's CSRF token, as the page's form would.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }
}
