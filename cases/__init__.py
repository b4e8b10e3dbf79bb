"""Cases (工单): a citizen's request from intake to closure (GB/T 33358-2016), as a pure core.

Events in, derived events and commands out; the clock and the working-day calendar injected;
no I/O, no asyncio, no wall-clock reads. The case's history is its event log; its state a
projection of it.

Shape of the public interface (what the store, API and CLI build on):

* ``cases.model``: ``Channel``, ``Urgency`` (一般/紧急/特急), ``Role`` (agent, supervisor,
  department, system), ``Status``, ``SupervisionReason``, ``CloseReason``, ``DeadlineKind``,
  ``Card``; ``Actor(user, role, department)`` and ``SYSTEM``.
* ``cases.events``: frozen dataclasses, past tense, each with ``case_id``, ``at`` (epoch
  seconds) and ``actor``: ``CaseOpened``, ``AnsweredDirectly``, ``Dispatched``, ``SignedFor``,
  ``Returned``, ``ExtensionRequested``, ``ExtensionDecided``, ``Replied``, ``VisitResult``,
  ``RehandleOrdered``, ``Supervised``, ``Reminded``, ``CardRaised``, ``DeadlineSet``,
  ``Remarked``, ``Notified`` (an SMS notice sent, delivered or failed), ``Closed``. ``Event`` is
  their union.
* ``cases.codec``: ``event_to_dict(event)`` (JSON-safe, with a ``"type"`` key) and
  ``event_from_dict(data)``, the gate for outside input (``EventFormatError`` naming the field).
* ``cases.commands``: ``PromptEmergencyRedirect``, ``NotifyDepartment``, ``NotifyHotline``,
  ``ScheduleReturnVisit``, ``RaiseSupervision``, ``SendReminder``, ``ShowCard``, ``Alert``.
* ``cases.case.Case``: the projection. ``Case.open(opened)``, ``Case.replay(events)``,
  ``case.apply(event)`` (a context-free fold: deadlines are logged ``DeadlineSet`` events),
  ``to_dict()`` / ``from_dict()``; attributes to index on: ``case_id``, ``status``,
  ``category``, ``urgency``, ``caller_number``, ``district``, ``address``, ``channel``,
  ``call_id``, ``lead``, ``assisting``, ``departments``, ``deadlines``, ``closed_at``.
* ``cases.transitions``: the explicit table ``(event type, variant, status) -> status`` and
  ``ROLES`` (who may record what). Refusals are ``cases.errors.CaseError`` subclasses:
  ``IllegalTransition``, ``Forbidden`` (role or department), ``CalendarGap``; the message
  names the field; nothing changed.
* ``cases.workflow``: ``Context(taxonomy, departments, calendar, rules, sampler)``;
  ``open_case(opened, ctx, repeats) -> (case, Outcome)``, ``decide(case, event, ctx) ->
  (case, Outcome)``, ``timer(case, now, ctx) -> (case, Outcome)``, ``next_deadline(case,
  rules)``; ``CaseWorkflow`` wraps one case: ``apply(event) -> Outcome``,
  ``on_timer(now) -> Outcome``, ``next_deadline()``. ``Outcome.events`` are ALL the events to
  append to the log (the input first, then the derived ones: deadlines with their yellow-card
  time, automatic supervision, closure, re-handling, cards, reminders); ``Outcome.commands``
  what to carry out. ``sampler(case_id) -> [0, 1)`` picks the direct answers visited back
  (default: a hash of the id, so the same case always gets the same answer).
* ``cases.hotline.Hotline(context)``: every case, the repeat and cluster detectors and one
  timer queue: ``apply(event)``, ``on_timer(now)``, ``next_deadline()``, ``restore(events)``;
  ``keep_closed=False`` forgets closed cases (long simulations).
* ``cases.calendar.WorkCalendar``: ``is_working_day``, ``add_working_days``,
  ``working_days_between``, ``due_after(at, n)`` (end of the n-th working day),
  ``add_working_time`` / ``sub_working_time`` (hours that days off do not count), ``gaps(today)``;
  ``from_config({year: {holidays, workdays}})`` for years the ``chinese-calendar`` package does
  not know (or local changes); a year with no data raises ``CalendarGap``.
* ``cases.taxonomy``: ``Taxonomy.get(code)``, ``path(code)``, ``emergency_hint(text)``; the file
  (default ``cases/data/taxonomy.yaml``) is read by ``callcenter.casework.taxonomy_file``'s
  ``load_taxonomy(path)``, with errors naming file/line/field.
* ``cases.rules.Rules``: every time limit and threshold (pydantic, for the configuration).
* ``cases.clusters``: ``RepeatDetector``, ``ClusterDetector`` (incremental, bounded memory).
* ``cases.evaluation``: ``evaluate(cases, start, end)`` (or ``evaluate_logs``): per-department
  figures and the hotline's 直办率/办结率. ``cases.report``: ``routine_report`` (counts by kind,
  category, district, department, channel, language, urgency), ``special_report`` (where
  requests concentrated), ``period("day" | "week" | "month", date, calendar)``.
"""
