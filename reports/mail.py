"""Optional delivery of a weekly report by e-mail (SMTP, STARTTLS when configured)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from domain.config import SmtpSettings
from reports.build import ReportFiles

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def report_message(
    files: ReportFiles, smtp: SmtpSettings, recipients: tuple[str, ...] | None = None, notice: str | None = None
) -> EmailMessage:
    """The report's e-mail: to ``recipients`` (default: [reports.smtp] recipients), ``notice`` (an earlier mail that
    did not arrive) at the top."""
    message = EmailMessage()
    message["Subject"] = files.report.title
    message["From"] = smtp.sender
    message["To"] = ", ".join(recipients or smtp.recipients)
    body = [notice, ""] if notice else []
    scope = "" if files.report.structures is None else f" ({files.report.scope})"
    body += [f"Rapport de la semaine {files.week.label}{scope}, données arrêtées au {files.report.data_until}.", ""]
    body += [f"• {sentence}" for sentence in files.report.sentences]
    body += ["", "Le rapport complet (PDF) et ses tableaux (XLSX) sont joints.", "— Vigie, salle de supervision"]
    message.set_content("\n".join(body))
    message.add_attachment(files.pdf.read_bytes(), maintype="application", subtype="pdf", filename=files.pdf.name)
    message.add_attachment(files.xlsx.read_bytes(), maintype=XLSX[0], subtype=XLSX[1], filename=files.xlsx.name)
    return message


def send_report(files: ReportFiles, smtp: SmtpSettings) -> None:
    """Send the report; raises smtplib/OSError errors to the caller, which logs and retries."""
    send_message(report_message(files, smtp), smtp)


def send_message(message: EmailMessage, smtp: SmtpSettings) -> None:
    """One message through [reports.smtp]; smtplib/OSError errors go to the caller, which records and retries."""
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        client.send_message(message)
