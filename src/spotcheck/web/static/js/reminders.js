// Reminders: a monthly self-check and a re-check per spot (14 days after a flagged or changed
// spot's latest photo, 30 days otherwise), with a calendar file to import.

import { api } from "./api.js";
import { $, failedWith } from "./page.js";
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

export class Reminders {
  async refresh() {
    try {
      const { items } = await api.reminders();
      $("reminders").classList.remove("is-unavailable");
      $("reminder-list").replaceChildren(
        ...items.map((item) => {
          const li = document.createElement("li");
          const due = document.createElement("time");
          due.dateTime = item.due;
          due.className = "reminder-due";
          due.textContent = dayFormat.format(new Date(`${item.due}T12:00:00`));
          li.append(due, ` ${item.title}`);
          return li;
        }),
      );
    } catch (error) {
      // A server without reminders: the card stays away. Other failures leave it as it was.
      if (failedWith(error, 404, 405)) $("reminders").classList.add("is-unavailable");
    }
  }
}
