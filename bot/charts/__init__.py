"""Pictures for team leads: the summary's charts as a PNG, and the offline HTML report.

matplotlib comes with the optional `charts` extra; without it the charts are left out and
every caller shows the text summary alone.
"""
