//! `GET /cabinet?sessid=…&sesspass=…`: signsim's minimal web cabinet — an HTML page listing
//! the session's account and its own and incoming documents with their permissions. A missing,
//! wrong or expired session gets a 403 page saying which.

use super::model;
use super::Podpishi;
use crate::pipeline::Answer;
use crate::server::router;
use quick_xml::escape::escape;

fn page(status: u16, title: &str, body: &str) -> Answer {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>\n<h1>{}</h1>\n{body}\n<p><small>signsim — emulator of Подпиши.Онлайн</small></p></body></html>\n",
        escape(title),
        escape(title)
    );
    Answer::new(status, "text/html; charset=UTF-8", html)
}

pub fn handle(pod: &Podpishi, query: Option<&str>) -> Answer {
    let q = router::query_pairs(query);
    let get = |n: &str| {
        q.iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (sessid, sesspass) = (get("sessid"), get("sesspass"));
    let denied = |why: String| page(403, "Доступ запрещён", &format!("<p>{}</p>", escape(&why)));
    let Ok(id) = sessid.parse::<u64>() else {
        return denied(format!(
            "sessid '{sessid}' is not a session number (get one with authuserbypartner)"
        ));
    };
    let store = pod.store();
    let session = match model::sessions::get(store, id) {
        Ok(Some(s)) => s,
        Ok(None) => return denied(format!("session {id} does not exist")),
        Err(e) => {
            tracing::error!("podpishi: cabinet: reading session {id}: {e}");
            return denied(format!(
                "session {id} could not be read (signsim's log has the cause)"
            ));
        }
    };
    if session.sesspass != sesspass {
        return denied(format!("sesspass is not the password of session {id}"));
    }
    if pod.now() > session.expires {
        return denied(format!("session {id} expired at {}", session.expires));
    }
    let Ok(Some(acc)) = model::accounts::get(store, &session.login) else {
        return denied(format!("the account of session {id} no longer exists"));
    };
    let nums = model::documents::nums_of_bins(store, &acc.bins);
    let mut rows = String::new();
    for n in nums {
        if let Ok(Some(d)) = model::documents::get(store, n) {
            let perms: Vec<String> = d
                .permissions
                .iter()
                .map(|p| {
                    format!(
                        "{} {} {}",
                        p.must_signed_by_bin,
                        if p.signed {
                            "подписан"
                        } else if p.sign_deleted {
                            "удалён"
                        } else {
                            "не подписан"
                        },
                        escape(&p.signed_fio)
                    )
                })
                .collect();
            rows.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td><td>{}</td></tr>\n",
                d.num,
                escape(&d.name),
                escape(&d.reference),
                d.owner_bin,
                d.receiver_bin,
                perms.join("; ")
            ));
        }
    }
    page(
        200,
        &format!("Личный кабинет: {}", acc.login),
        &format!(
            "<p>serviceid {} · БИН: {} · доступно документов: {}</p>\n<table border=\"1\"><tr><th>№</th><th>Документ</th><th>Референс</th><th>От → кому</th><th>Подписи</th></tr>\n{rows}</table>",
            acc.service_id,
            acc.bins.join(", "),
            acc.balance
        ),
    )
}
