/*  kefuctl — report NAME: each service's reports, by name.  */
#include "ctl.h"

//  Each report parses its own options (with the usage below); the name
//  after "report " picks it.
static const ctl_command_t s_reports [] = {
    { "report sla", "", NULL, ctl_report_sla, NULL },
    { "report collection", "", NULL, ctl_report_collection, NULL },
    { "report arrears", "", NULL, ctl_report_arrears, NULL },
    { "report satisfaction", "", NULL, ctl_report_satisfaction, NULL },
    { "report pareto", "", NULL, ctl_report_pareto, NULL },
    { "report daily", "", NULL, ctl_report_daily, NULL },
    { NULL, NULL, NULL, NULL, NULL }
};

static int
s_report (ctl_t *ctl, int argc, char **argv)
{
    if (argc < 2 || strcmp (argv [1], "--help") == 0 || strcmp (argv [1], "-h") == 0) {
        int code;
        static const struct option none [] = { { NULL, 0, NULL, 0 } };
        if (argc >= 2) {
            ctl_options (ctl, &ctl_report_command, argc, argv, none, ctl_no_option, NULL, &code);
            return code;
        }
        return ctl_fail (CTL_USAGE, "report: which report? (sla, collection, arrears, satisfaction, pareto or daily)");
    }
    for (size_t i = 0; s_reports [i].name; i++)
        if (strcmp (argv [1], s_reports [i].name + strlen ("report ")) == 0)
            return s_reports [i].run (ctl, argc - 1, argv + 1);
    return ctl_fail (CTL_USAGE, "report: unknown report '%s' (sla, collection, arrears, satisfaction, pareto or daily)", argv [1]);
}

const ctl_command_t ctl_report_command = {
    "report", "reports: sla, collection (收缴率), arrears, satisfaction, pareto, daily",
    "report sla [--estate E] [--from TIME] [--to TIME] [--by estate|department|category]\n"
    "       kefuctl report collection --from YYYY-MM [--to YYYY-MM] [--estate E]\n"
    "       kefuctl report arrears --estate E\n"
    "       kefuctl report satisfaction [--estate E] [--from TIME] [--to TIME] [--by estate|department|technician]\n"
    "       kefuctl report pareto [--estate E] [--from TIME] [--to TIME]\n"
    "       kefuctl report daily --estate E [--date YYYY-MM-DD]\n\n"
    "sla: the on-time rate of the SLA targets that fell due in the period (to:\n"
    "now when not given), by estate (default), department or category, and the\n"
    "valid-complaint handling rate of the complaints filed in the period\n"
    "(cancelled ones are not valid), against the standard's 95 %. Times are\n"
    "local to the estate: 2026-09-01, or 2026-09-01 08:30; a bare date as --to\n"
    "includes that day.\n"
    "collection: billed and collected per estate for the notices of the months\n"
    "from..to (late fees aside), and the collection rate.\n"
    "arrears: what is owed on overdue notices, by days overdue: 0-30, 31-90,\n"
    "91-180, over 180.\n"
    "satisfaction: return visits answered in the period, satisfied (or fairly)\n"
    "and the mean score, and how many visits due were done in their window.\n"
    "pareto: complaints, unsatisfied visits and evaluation problems by category,\n"
    "most first, with the running share; the vital few make up 80 %.\n"
    "daily: yesterday's statistics (or --date's), made each morning.",
    s_report, s_reports
};
