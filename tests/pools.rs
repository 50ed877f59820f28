//! Expertise pools and toolkits: an administrator appoints a lead, the lead posts a
//! toolkit with a PDF whose words are found by search, versions stay readable, cities
//! record their own adoption and are told of a newer version; strangers are refused at
//! every door, and every bad upload is refused and leaves nothing behind.

use serde_json::Value;

use crate::specs;
use crate::support::fixtures::{signed_in, signed_in_as};
use crate::support::session::Session;
use crate::support::{eventually, Response, TestApp};

specs![
    shared: the_six_report_pools_exist_in_the_contract_shape;
    fresh:
        a_lead_posts_a_toolkit_whose_pdf_words_search_finds_and_cities_adopt_its_versions,
        strangers_and_members_cannot_create_or_edit_toolkits,
        a_toolkit_names_the_projects_it_came_from_and_refuses_unknown_ones,
        only_a_citys_own_members_record_its_adoption,
        bad_uploads_are_refused_with_the_text_kept_and_nothing_stored,
        a_pdf_that_hangs_the_extractor_still_uploads,
        without_pdftotext_pdfs_are_stored_and_the_administration_says_so,
        attachments_download_as_files_no_browser_runs;
];

const POOL: &str = "data-cybersecurity";
const ADMIN: &str = "programma@g40.nl";
const LEAD: &str = "trekker@eindhoven.nl";

/// A small but real PDF with `text` on its page (cross-reference offsets computed).
pub fn pdf_with(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 24 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (n, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", n + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

fn appoint(admin: &Session, email: &str, role: &str) {
    let res = admin.post(
        &format!("/expertisepools/{POOL}/rollen"),
        &[("email", email), ("role", role)],
    );
    assert_eq!(res.status, 303, "{}", res.body);
}

fn post_toolkit(lead: &Session, title: &str, file: Option<(&str, &str, &[u8])>) -> Response {
    lead.post_multipart(
        &format!("/expertisepools/{POOL}/toolkits/nieuw"),
        &[
            ("title", title),
            (
                "summary",
                "Een checklist voor een DPIA bij sensoren in de openbare ruimte.",
            ),
            ("body", "Doorloop **elke** stap voordat u sensoren plaatst."),
            ("note", "Eerste versie"),
        ],
        file,
    )
}

fn created_id(res: &Response) -> i64 {
    assert_eq!(res.status, 303, "{}", res.body);
    res.header("location")
        .and_then(|l| l.strip_prefix("/toolkits/"))
        .and_then(|id| id.parse().ok())
        .expect("redirect to the toolkit")
}

fn toolkit_json(app: &TestApp, id: i64) -> Value {
    let (status, body) = app.get_json(&format!("/api/v1/toolkits/{id}"));
    assert_eq!(status, 200, "{body}");
    body
}

fn lead_of_the_pool(app: &TestApp) -> (Session<'_>, Session<'_>) {
    let admin = signed_in(app, ADMIN, true);
    let lead = signed_in_as(app, LEAD, &["--city", "eindhoven"]);
    appoint(&admin, LEAD, "lead");
    (admin, lead)
}

fn the_six_report_pools_exist_in_the_contract_shape(app: &TestApp) {
    let (status, body) = app.get_json("/api/v1/pools");
    assert_eq!(status, 200);
    let pools = body["results"].as_array().expect("results");
    assert!(pools.len() >= 6, "{body}");
    for pool in pools {
        for key in [
            "slug",
            "name",
            "description",
            "leads",
            "members",
            "toolkits",
        ] {
            assert!(pool.get(key).is_some(), "{key} in {pool}");
        }
    }
    assert!(pools.iter().any(|p| p["name"] == "Financiering"));
    let (status, one) = app.get_json(&format!("/api/v1/pools/{POOL}"));
    assert_eq!(status, 200);
    assert_eq!(one["name"], "Data & cyber security");
    assert!(one["toolkits"].is_array());
    for (path, code) in [
        ("/api/v1/pools/nergens", 404),
        ("/api/v1/toolkits/999999", 404),
        ("/api/v1/toolkits?pool=nergens", 400),
        ("/api/v1/toolkits?theme=nonsense", 400),
    ] {
        let (status, body) = app.get_json(path);
        assert_eq!(status, code, "{path}: {body}");
    }
    let (status, page) = app.get("/expertisepools");
    assert_eq!(status, 200);
    assert!(page.contains("Ethiek &amp; regelgeving"));
}

fn a_lead_posts_a_toolkit_whose_pdf_words_search_finds_and_cities_adopt_its_versions(
    app: &mut TestApp,
) {
    let (admin, lead) = lead_of_the_pool(app);
    let pdf = pdf_with("Kwartelkoningprotocol voor sensoren");
    let res = post_toolkit(
        &lead,
        "DPIA-checklist sensoren",
        Some(("bestand", "checklist.pdf", &pdf)),
    );
    let id = created_id(&res);
    let json = toolkit_json(app, id);
    assert_eq!(json["version"], 1);
    assert_eq!(json["pool"]["slug"], POOL);
    assert_eq!(json["attachments"][0]["name"], "checklist.pdf");
    assert_eq!(json["attachments"][0]["content_type"], "application/pdf");
    eventually("a word only in the PDF finds the toolkit", || {
        let (_, found) = app.get_json("/api/v1/search?q=kwartelkoningprotocol&type=toolkit");
        found["results"][0]["id"] == id
    });
    let dashboard = admin.get("/beheer").body;
    assert!(
        dashboard.contains("pdftotext werkt") && dashboard.contains("doorzoekbaar"),
        "{dashboard}"
    );

    let arnhem = signed_in_as(app, "lid@arnhem.nl", &["--city", "arnhem"]);
    let res = arnhem.post(
        &format!("/toolkits/{id}/gebruik"),
        &[
            ("version", "1"),
            ("status", "in-gebruik"),
            ("note", "Gebruikt bij de slimme lantaarnpalen"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);

    let res = lead.post_multipart(
        &format!("/toolkits/{id}/bewerken"),
        &[
            ("title", "DPIA-checklist sensoren, herzien"),
            ("summary", "Nu met een stap voor camera's."),
            ("body", "Doorloop elke stap, ook voor camera's."),
            ("note", "Stap voor camera's toegevoegd"),
        ],
        None,
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let json = toolkit_json(app, id);
    assert_eq!(json["version"], 2);
    assert_eq!(json["versions"].as_array().map(Vec::len), Some(2));
    assert_eq!(json["versions"][0]["note"], "Stap voor camera's toegevoegd");
    assert_eq!(json["adoptions"][0]["city"]["slug"], "arnhem");
    assert_eq!(json["adoptions"][0]["version"], 1);
    assert_eq!(json["adoptions"][0]["status"], "in-gebruik");
    let first = Session::new(app).get(&format!("/toolkits/{id}/versies/1"));
    assert_eq!(first.status, 200);
    assert!(
        first.body.contains("DPIA-checklist sensoren</h2>"),
        "version 1 stays readable"
    );
    let compared = Session::new(app).get(&format!("/toolkits/{id}/versies/2?vergelijk=1"));
    assert!(
        compared.body.contains("<del>Een checklist voor een DPIA")
            && compared.body.contains("<ins>Nu met")
    );
    let page = arnhem.get(&format!("/toolkits/{id}")).body;
    assert!(
        page.contains("Arnhem gebruikt versie 1; er is een nieuwere versie (2)."),
        "Arnhem is told a newer version exists"
    );
    let (_, overview) = app.get_json("/api/v1/toolkits");
    assert_eq!(overview["results"][0]["id"], id);
    assert_eq!(overview["results"][0]["adoptions"], 1);
    assert!(Session::new(app)
        .get("/toolkits")
        .body
        .contains("1 stad gebruikt het"));
}

fn a_toolkit_names_the_projects_it_came_from_and_refuses_unknown_ones(app: &mut TestApp) {
    let (_admin, lead) = lead_of_the_pool(app);
    let eindhoven = crate::support::fixtures::project_by_ref(app, "12.1");
    let pid = eindhoven["id"].as_i64().expect("id");
    let fields = |projects: &str| {
        vec![
            ("title", "Privacy by design".to_owned()),
            (
                "summary",
                "Zo bouwt u privacy in vanaf het begin.".to_owned(),
            ),
            ("body", "Begin bij de **vraag**.".to_owned()),
            ("projects", projects.to_owned()),
        ]
    };
    let post = |projects: &str| {
        let owned = fields(projects);
        let form: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
        lead.post_multipart(
            &format!("/expertisepools/{POOL}/toolkits/nieuw"),
            &form,
            None,
        )
    };
    for bad in ["99999", "twaalf", "/projecten/-3"] {
        let res = post(bad);
        assert_eq!(res.status, 400, "{bad}");
        assert!(res.body.contains("Privacy by design"), "the text is kept");
    }
    let res = post(&format!("{pid}, {}/projecten/{pid}/", app.base_url));
    let id = created_id(&res);
    let json = toolkit_json(app, id);
    assert_eq!(json["projects"], serde_json::json!([pid]));
    let page = Session::new(app).get(&format!("/toolkits/{id}")).body;
    assert!(
        page.contains(&format!("href=\"/projecten/{pid}\"")),
        "{page}"
    );
}

fn strangers_and_members_cannot_create_or_edit_toolkits(app: &mut TestApp) {
    let (_admin, lead) = lead_of_the_pool(app);
    let id = created_id(&post_toolkit(&lead, "Van de trekker", None));
    let member = signed_in_as(app, "lid@zwolle.nl", &["--city", "zwolle"]);
    let joined = member.post(
        &format!("/expertisepools/{POOL}/lidmaatschap"),
        &[("join", "1")],
    );
    assert_eq!(joined.status, 303);
    let visitor = Session::new(app);
    for (who, session, status) in [
        ("a pool member", &member, 403),
        ("a visitor", &visitor, 401),
    ] {
        let res = post_toolkit(session, "Gekaapt", None);
        assert_eq!(res.status, status, "{who} creates");
        let res = session.post_multipart(
            &format!("/toolkits/{id}/bewerken"),
            &[("title", "Gekaapt"), ("summary", "x"), ("body", "x")],
            None,
        );
        assert_eq!(res.status, status, "{who} edits");
    }
    assert_eq!(
        member
            .get(&format!("/expertisepools/{POOL}/toolkits/nieuw"))
            .status,
        403
    );
    assert_eq!(
        member
            .post(
                &format!("/expertisepools/{POOL}/rollen"),
                &[("email", "lid@zwolle.nl"), ("role", "lead")]
            )
            .status,
        403,
        "nobody appoints themselves"
    );
    // A lead of another pool is a stranger here.
    let admin = signed_in(app, "tweede@g40.nl", true);
    let other = signed_in_as(app, "ander@tilburg.nl", &["--city", "tilburg"]);
    let res = admin.post(
        "/expertisepools/financiering/rollen",
        &[("email", "ander@tilburg.nl"), ("role", "lead")],
    );
    assert_eq!(res.status, 303);
    assert_eq!(post_toolkit(&other, "Verkeerde pool", None).status, 403);
    let (_, list) = app.get_json("/api/v1/toolkits");
    assert_eq!(list["total"], 1, "only the lead's toolkit");
    assert_eq!(toolkit_json(app, id)["title"], "Van de trekker");
}

fn only_a_citys_own_members_record_its_adoption(app: &mut TestApp) {
    let (admin, lead) = lead_of_the_pool(app);
    let id = created_id(&post_toolkit(&lead, "Adoptie", None));
    let path = format!("/toolkits/{id}/gebruik");
    let fields = [("version", "1"), ("status", "overwogen"), ("note", "")];
    assert_eq!(Session::new(app).post(&path, &fields).status, 401);
    assert_eq!(
        admin.post(&path, &fields).status,
        403,
        "not even the programme office"
    );
    let zwolle = signed_in_as(app, "lid@zwolle.nl", &["--city", "zwolle"]);
    // The city is the member's own, whatever the form says.
    let res = zwolle.post(
        &path,
        &[
            ("version", "1"),
            ("status", "overwogen"),
            ("note", ""),
            ("city", "arnhem"),
            ("city_id", "1"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let json = toolkit_json(app, id);
    assert_eq!(json["adoptions"].as_array().map(Vec::len), Some(1));
    assert_eq!(json["adoptions"][0]["city"]["slug"], "zwolle");
    let arnhem_project = crate::support::fixtures::project_by_ref(app, "6.3")["id"].to_string();
    let zwolle_project = {
        let (_, list) = app.get_json("/api/v1/projects?city=zwolle&per_page=1");
        list["results"][0]["id"].to_string()
    };
    let res = zwolle.post(
        &path,
        &[
            ("version", "1"),
            ("status", "in-gebruik"),
            ("project", &zwolle_project),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let page = zwolle.get(&format!("/toolkits/{id}")).body;
    assert!(
        page.contains(&format!("href=\"/projecten/{zwolle_project}\"")),
        "{page}"
    );
    let res = zwolle.post(
        &path,
        &[("version", "1"), ("status", "overwogen"), ("note", "")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    for bad in [
        vec![("version", "7"), ("status", "overwogen")],
        vec![("version", "1"), ("status", "misschien")],
        vec![("version", "1"), ("status", "gestopt"), ("note", "")],
        // A project of another city.
        vec![
            ("version", "1"),
            ("status", "overwogen"),
            ("project", &arnhem_project),
        ],
    ] {
        let res = zwolle.post(&path, &bad);
        assert_eq!(res.status, 400, "{bad:?}");
    }
    assert_eq!(
        toolkit_json(app, id)["adoptions"][0]["status"],
        "overwogen",
        "unchanged"
    );
}

/// What the upload store holds: every file under `uploads/`, staged ones included.
fn stored_files(app: &TestApp) -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path.display().to_string());
            }
        }
    }
    let mut files = Vec::new();
    walk(&app.data_dir().join("uploads"), &mut files);
    files
}

fn zip_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("[Content_Types].xml", options)
        .expect("entry");
    zip.write_all(
        br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#,
    )
    .expect("write");
    zip.start_file("word/document.xml", options).expect("entry");
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..60 {
        zip.write_all(&zeros).expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

fn bad_uploads_are_refused_with_the_text_kept_and_nothing_stored(app: &mut TestApp) {
    let backend = app.backend;
    app.stop();
    let app = TestApp::start_with(backend, &[("STADSMAAT_UPLOAD_LIMIT", "200000")]);
    let (_admin, lead) = lead_of_the_pool(&app);
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.extend(vec![0u8; 512]);
    let mut mz = b"MZ\x90\0\x03\0".to_vec();
    mz.extend(vec![0u8; 512]);
    let big = pdf_with(&"x".repeat(300_000));
    let bomb = zip_bomb();
    for (what, name, bytes, message) in [
        (
            "an executable named .pdf",
            "rapport.pdf",
            elf.as_slice(),
            "herkend aan de inhoud",
        ),
        (
            "a Windows program",
            "handleiding.docx",
            mz.as_slice(),
            "herkend aan de inhoud",
        ),
        (
            "an HTML page",
            "pagina.pdf",
            b"<html><script>alert(1)</script></html>".as_slice(),
            "herkend aan de inhoud",
        ),
        (
            "a file over the limit",
            "groot.pdf",
            big.as_slice(),
            "groter dan",
        ),
        ("a DOCX zip bomb", "bom.docx", bomb.as_slice(), "pakt uit"),
    ] {
        let res = post_toolkit(&lead, "Mag niet", Some(("bestand", name, bytes)));
        assert_eq!(res.status, 400, "{what}: {}", res.status);
        assert!(res.body.contains(message), "{what}: the message says why");
        assert!(
            res.body.contains("Een checklist voor een DPIA"),
            "{what}: the text is kept"
        );
        assert!(
            stored_files(&app).is_empty(),
            "{what}: left {:?}",
            stored_files(&app)
        );
    }
    let (_, list) = app.get_json("/api/v1/toolkits");
    assert_eq!(list["total"], 0, "nothing half-stored");
    // Path tricks and control characters in the name: stored under a safe one.
    let pdf = pdf_with("veilig");
    for name in [
        "../../etc/passwd.pdf",
        "C:\\\\temp\\\\x.pdf",
        "a\u{202E}fdp.exe",
        "....",
    ] {
        let res = post_toolkit(&lead, "Naam", Some(("bestand", name, &pdf)));
        let id = created_id(&res);
        let stored = toolkit_json(&app, id)["attachments"][0]["name"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        assert!(stored.ends_with(".pdf"), "{name} -> {stored}");
        assert!(
            !stored.contains('/')
                && !stored.contains('\\')
                && !stored.contains("..")
                && !stored.contains('\u{202E}'),
            "{name} -> {stored}"
        );
    }
}

fn a_pdf_that_hangs_the_extractor_still_uploads(app: &mut TestApp) {
    let script = app.data_dir().join("hangende-pdftotext");
    std::fs::write(&script, "#!/bin/sh\nsleep 600\n").expect("script");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let backend = app.backend;
    app.stop();
    let app = TestApp::start_with(
        backend,
        &[("STADSMAAT_PDFTOTEXT", &script.display().to_string())],
    );
    let (_admin, lead) = lead_of_the_pool(&app);
    let started = std::time::Instant::now();
    let res = post_toolkit(
        &lead,
        "Traag",
        Some(("bestand", "traag.pdf", &pdf_with("traag"))),
    );
    let id = created_id(&res);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the upload did not wait"
    );
    assert_eq!(
        Session::new(&app).get(&format!("/toolkits/{id}")).status,
        200
    );
    assert_eq!(app.get_json("/api/v1/health").1["status"], "ok");
}

fn without_pdftotext_pdfs_are_stored_and_the_administration_says_so(app: &mut TestApp) {
    let backend = app.backend;
    app.stop();
    let missing = app.data_dir().join("geen-pdftotext");
    let app = TestApp::start_with(
        backend,
        &[("STADSMAAT_PDFTOTEXT", &missing.display().to_string())],
    );
    let (admin, lead) = lead_of_the_pool(&app);
    let res = post_toolkit(
        &lead,
        "Zonder tekst",
        Some(("bestand", "stil.pdf", &pdf_with("Zwijgprotocol"))),
    );
    let id = created_id(&res);
    assert_eq!(toolkit_json(&app, id)["attachments"][0]["name"], "stil.pdf");
    eventually("the administration says the PDF was not processed", || {
        let dashboard = admin.get("/beheer").body;
        dashboard.contains("pdftotext (poppler-utils) ontbreekt")
            && dashboard.contains("niet verwerkt (pdftotext ontbrak)")
    });
    let (_, found) = app.get_json("/api/v1/search?q=zwijgprotocol&type=toolkit");
    assert_eq!(found["total"], 0, "{found}");
}

fn attachments_download_as_files_no_browser_runs(app: &mut TestApp) {
    let (_admin, lead) = lead_of_the_pool(app);
    let csv = "stad;sensoren\nEindhoven;12\n";
    let res = post_toolkit(
        &lead,
        "Telling",
        Some(("bestand", "telling \"2026\".csv", csv.as_bytes())),
    );
    let id = created_id(&res);
    let url = toolkit_json(app, id)["attachments"][0]["url"]
        .as_str()
        .expect("url")
        .to_owned();
    let res = app.get_response(&url);
    assert_eq!(res.status, 200);
    assert_eq!(res.body, csv);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    let disposition = res.header("content-disposition").unwrap_or("");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        !disposition.contains("\"2026\""),
        "quotes never reach the quoted name: {disposition}"
    );
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert!(res
        .header("content-security-policy")
        .is_some_and(|c| c.contains("sandbox")));
    assert_eq!(
        app.get(&format!("/toolkits/{id}/bijlagen/999999/x.csv")).0,
        404
    );
}
