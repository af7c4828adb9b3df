/** The inbox: a badge with the unread count, a drawer with the list (paged), mark read / mark all. */
import { useState } from "react";
import { Badge, Box, Button, Drawer, IconButton, List, ListItem, ListItemText, SvgIcon, Typography } from "@mui/material";
import { useApp } from "../state";

function Bell() {
  return <SvgIcon aria-hidden><path d="M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-6V11a6 6 0 0 0-5-5.9V4a1 1 0 1 0-2 0v1.1A6 6 0 0 0 6 11v5l-2 2v1h16v-1z" /></SvgIcon>;
}

export function NotificationCenter() {
  const { notif, markRead, markAll, loadMore, t, lang, dt, toast } = useApp();
  const [open, setOpen] = useState(false);
  const fail = (e: any) => toast(t("common.error", { message: e.message }), "error");
  return (
    <>
      <IconButton onClick={() => setOpen(true)} data-testid="notif-open">
        {/* the name as (hidden) content, not aria-label: axe wants a name that contains the visible badge */}
        <Box component="span" sx={{ position: "absolute", width: 1, height: 1, overflow: "hidden", clip: "rect(0 0 0 0)", whiteSpace: "nowrap" }}>
          {t("notif.open", { count: notif.unread })}
        </Box>
        <Badge badgeContent={notif.unread} color="error" max={99} data-testid="notif-badge" data-count={notif.unread}
          slotProps={{ badge: { "aria-hidden": true } as any }}>
          <Bell />
        </Badge>
      </IconButton>
      <Drawer anchor="right" open={open} onClose={() => setOpen(false)}>
        <Box sx={{ width: { xs: "100vw", sm: 420 }, p: 2 }} role="dialog" aria-labelledby="notif-title" data-testid="notif-panel">
          <Box sx={{ display: "flex", alignItems: "center", gap: 1, mb: 1 }}>
            <Typography id="notif-title" variant="h6" component="h2" sx={{ flexGrow: 1 }}>{t("notif.title")}</Typography>
            <Button size="small" onClick={() => markAll().catch(fail)} disabled={notif.unread === 0} data-testid="notif-mark-all">{t("notif.markAll")}</Button>
            <Button size="small" onClick={() => setOpen(false)}>{t("notif.close")}</Button>
          </Box>
          {notif.items.length === 0 && <Typography>{t("notif.none")}</Typography>}
          <List dense data-testid="notif-list">
            {notif.items.map((n) => (
              <ListItem key={n.id} data-testid="notif-item" data-seq={n.seq} data-read={n.read_at ? "1" : "0"} divider
                sx={{ bgcolor: n.read_at ? undefined : "#e6f2f2", alignItems: "flex-start" }}
                secondaryAction={!n.read_at && (
                  <Button size="small" onClick={() => markRead(n.id).catch(fail)} aria-label={`${t("notif.markRead")}: ${n.title[lang]}`}>
                    {t("notif.markRead")}
                  </Button>)}>
                <ListItemText sx={{ pr: n.read_at ? 0 : 10 }} primary={n.title[lang]}
                  secondary={<>{n.body[lang]}<br />{dt(n.created_at)}</>} />
              </ListItem>
            ))}
          </List>
          {notif.nextBeforeSeq !== null && <Button onClick={() => loadMore().catch(fail)}>{t("notif.more")}</Button>}
        </Box>
      </Drawer>
    </>
  );
}
